"""InsLoc on an R50-FPN detector (docs/algorithms.md,
InsLoc model and loss).

Query and key are two copy-paste composites of the same foreground; each
has exactly one box. The query network embeds its box on every FPN level
(RoIAlign 7x7, one head shared across levels), the key network (an EMA
copy, ``target``) does the same on the key composite, and each level has
its own MoCo queue of negatives and its own InfoNCE; the levels are summed.
"""
from typing import List, Mapping, Optional

from torch import Tensor, nn

from mmsoco.registry import MODELS
from ..utils.export_map import FPN_EXPORT_MAP
from .base_insloc import DEFAULT_BOX_AUG, BaseInsLoc


@MODELS.register_module()
class InsLoc(BaseInsLoc):
    """Query network ``backbone`` -> ``neck`` -> RoIAlign on every level ->
    ``bbox_head`` (4conv1fc, shared by the levels) -> ``projector``
    (FC 1024, Linear 128) -> L2 norm; key network ``target`` (over the same
    names) follows ``target = m * target + (1 - m) * query`` once per
    training step over the parameters (``MomentumTargetHook``); as in MoCo
    the key network keeps its own BN running statistics (from its own,
    shuffled, batches).

    Args:
        backbone, neck, bbox_head, projector: module configs.
        roi_extractor: ``BoxRoIExtractor`` over the levels (7x7, aligned).
        box_aug: the query box augmentation, on P5 (level index 3) by
            default.
        **kwargs: ``queue_len``, ``feat_dim``, ``momentum``,
            ``temperature``, ``level_loss_weights``: see
            :class:`~.base_insloc.BaseInsLoc`.

    Losses: ``loss_p2`` ... ``loss_p5`` (one InfoNCE per level; mmengine
    sums them).
    """

    ONLINE = ('backbone', 'neck', 'bbox_head', 'projector')
    EXPORT_MAP = FPN_EXPORT_MAP

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 bbox_head: dict,
                 projector: dict,
                 roi_extractor: Optional[dict] = None,
                 box_aug: Optional[dict] = DEFAULT_BOX_AUG,
                 **kwargs):
        super().__init__(
            dict(backbone=backbone, neck=neck, bbox_head=bbox_head,
                 projector=projector),
            roi_extractor=roi_extractor,
            box_aug=box_aug, **kwargs)

    def extract_feat(self, img: Tensor,
                     nets: Mapping[str, nn.Module]) -> List[Tensor]:
        return list(nets['neck'](nets['backbone'](img)))

    def roi_vectors(self, pooled: Tensor,
                    nets: Mapping[str, nn.Module]) -> Tensor:
        return nets['bbox_head'](pooled)
