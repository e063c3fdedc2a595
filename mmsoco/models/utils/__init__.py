from .anchor_box_aug import augment_boxes
from .feature_queue import FeatureQueue, ring_indices
from .level_assign import SOCO_LEVEL_THRESHOLDS, assign_levels, box_scales
from .momentum import cosine_momentum, ema_update_
from .momentum_target import MomentumTarget, scheduled_momentum
from .rois import boxes_to_rois

__all__ = [
    'SOCO_LEVEL_THRESHOLDS', 'assign_levels', 'box_scales', 'cosine_momentum',
    'ema_update_', 'boxes_to_rois', 'augment_boxes', 'FeatureQueue',
    'ring_indices', 'MomentumTarget', 'scheduled_momentum'
]
