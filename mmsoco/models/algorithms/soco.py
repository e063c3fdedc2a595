"""SoCo with FPN (R50-FPN, SoCo*): docs/algorithms.md, SoCo model."""
from typing import Mapping, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmsoco.registry import MODELS
from ..roi_extractors import POOL_MODES
from ..utils import boxes_to_rois
from ..utils.export_map import FPN_EXPORT_MAP
from .base_soco import BaseSoCo

FPN_ROI_EXTRACTOR = dict(type='BoxRoIExtractor', output_size=7,
                         strides=(4, 8, 16, 32))


@MODELS.register_module()
class SoCo(BaseSoCo):
    """Selective Object COntrastive learning on an FPN detector.

    Backbone -> FPN P2-P5 -> RoIAlign 7x7 -> 4conv1fc head -> projector
    (-> predictor online). The number of views comes from the data (3 for
    SoCo, 4 for SoCo*).

    Args:
        backbone, neck, bbox_head, projector, predictor: module configs.
        roi_extractor: a ``BoxRoIExtractor`` config, one stride per FPN
            level, with the level rule (``level_thresholds``).
        pool_mode: ``'all_levels'`` (reference, default): every box is
            pooled on every level and run through head, projector and
            predictor there; the loss uses each box's assigned level (4x the
            head work; head BN sees every level's RoIs). ``'assigned_level'``
            (fast): each box is pooled only on its level and the head runs
            once per box set.
        base_momentum: tau at iteration 0 of the cosine EMA (0.99).
    """

    ONLINE = ('backbone', 'neck', 'bbox_head', 'projector')
    EXPORT_MAP = FPN_EXPORT_MAP

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 bbox_head: dict,
                 projector: dict,
                 predictor: dict,
                 roi_extractor: Optional[dict] = None,
                 pool_mode: str = 'all_levels',
                 base_momentum: float = 0.99,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(base_momentum, data_preprocessor, init_cfg)
        if pool_mode not in POOL_MODES:
            raise ValueError(f'pool_mode must be one of {POOL_MODES}, got '
                             f'{pool_mode!r}')
        self.pool_mode = pool_mode
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.bbox_head = MODELS.build(bbox_head)
        self.projector = MODELS.build(projector)
        self.predictor = MODELS.build(predictor)
        self.roi_extractor = MODELS.build(roi_extractor or FPN_ROI_EXTRACTOR)
        if self.roi_extractor.level_thresholds is None:
            raise ValueError(
                f'SoCo: {self.roi_extractor.num_levels} pooling levels need '
                f'{self.roi_extractor.num_levels - 1} level_thresholds in '
                'roi_extractor')
        self._build_target(self.base_momentum)

    def extract_feat(self, img: Tensor,
                     nets: Mapping[str, nn.Module]) -> Tuple[Tensor, ...]:
        feats = tuple(nets['neck'](nets['backbone'](img)))
        if len(feats) != self.roi_extractor.num_levels:
            raise ValueError(f'the neck gives {len(feats)} levels, the RoI '
                             f'extractor has {self.roi_extractor.num_levels} '
                             'strides')
        return feats

    def embed(self, feats: Sequence[Tensor], boxes: Tensor,
              nets: Mapping[str, nn.Module], predict: bool) -> Tensor:
        b, k, _ = boxes.shape
        rois = boxes_to_rois(boxes)

        def to_vectors(pooled: Tensor) -> Tensor:
            z = nets['projector'](nets['bbox_head'](pooled))
            z = nets['predictor'](z) if predict else z
            return F.normalize(z.float(), dim=1)

        pooled = self.roi_extractor(feats, rois, mode=self.pool_mode)
        if self.pool_mode == 'all_levels':
            # the head runs once per level (its BN sees each level alone);
            # each box keeps its assigned level's vector
            per_level = torch.stack([to_vectors(p) for p in pooled])
            levels = self.roi_extractor.map_roi_levels(rois)
            out = per_level[levels, torch.arange(b * k, device=rois.device)]
        else:
            out = to_vectors(pooled)
        return out.view(b, k, -1)
