"""SoCo with FPN (R50-FPN, SoCo*): ALGORITHMS.md §1.3."""
from typing import Mapping, Optional, Sequence, Tuple

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from mmsoco.registry import MODELS
from ..utils import SOCO_LEVEL_THRESHOLDS, assign_levels, boxes_to_rois
from .base_soco import BaseSoCo

POOL_MODES = ('all_levels', 'assigned_level')


@MODELS.register_module()
class SoCo(BaseSoCo):
    """Selective Object COntrastive learning on an FPN detector.

    Backbone -> FPN P2-P5 -> RoIAlign 7x7 -> 4conv1fc head -> projector
    (-> predictor online). The number of views comes from the data (3 for
    SoCo, 4 for SoCo*).

    Args:
        backbone, neck, bbox_head, projector, predictor: module configs.
        roi_pooler: a ``BoxRoIPooler`` config, one stride per FPN level.
        level_thresholds: sqrt(wh) upper bounds of P2, P3, P4 (view pixels).
        pool_mode: ``'all_levels'`` (reference, default): every box is
            pooled on every level and run through head, projector and
            predictor there; the loss uses each box's assigned level (4x the
            head work; head BN sees every level's RoIs). ``'assigned_level'``
            (fast): each box is pooled only on its level and the head runs
            once per box set.
        base_momentum: tau at iteration 0 of the cosine EMA (0.99).
    """

    ONLINE = ('backbone', 'neck', 'bbox_head', 'projector')

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 bbox_head: dict,
                 projector: dict,
                 predictor: dict,
                 roi_pooler: dict = dict(
                     type='BoxRoIPooler', output_size=7,
                     strides=(4, 8, 16, 32)),
                 level_thresholds: Sequence[float] = SOCO_LEVEL_THRESHOLDS,
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
        self.roi_pooler = MODELS.build(roi_pooler)
        self.level_thresholds = tuple(float(t) for t in level_thresholds)
        if len(self.level_thresholds) != self.roi_pooler.num_levels - 1:
            raise ValueError(
                f'{self.roi_pooler.num_levels} pooling levels need '
                f'{self.roi_pooler.num_levels - 1} level_thresholds, got '
                f'{self.level_thresholds}')
        self._build_target(self.base_momentum)

    def extract_feat(self, img: Tensor,
                     nets: Mapping[str, nn.Module]) -> Tuple[Tensor, ...]:
        feats = tuple(nets['neck'](nets['backbone'](img)))
        if len(feats) != self.roi_pooler.num_levels:
            raise ValueError(f'the neck gives {len(feats)} levels, the RoI '
                             f'pooler has {self.roi_pooler.num_levels} '
                             'strides')
        return feats

    def embed(self, feats: Sequence[Tensor], boxes: Tensor,
              nets: Mapping[str, nn.Module], predict: bool) -> Tensor:
        b, k, _ = boxes.shape
        rois = boxes_to_rois(boxes)
        levels = assign_levels(boxes, self.level_thresholds).reshape(-1)

        def to_vectors(pooled: Tensor) -> Tensor:
            z = nets['projector'](nets['bbox_head'](pooled))
            z = nets['predictor'](z) if predict else z
            return F.normalize(z.float(), dim=1)

        if self.pool_mode == 'all_levels':
            per_level = torch.stack([
                to_vectors(self.roi_pooler(feats, rois, lvl))
                for lvl in range(self.roi_pooler.num_levels)
            ])
            out = per_level[levels, torch.arange(b * k, device=rois.device)]
        else:
            out = to_vectors(self._pool_assigned(feats, rois, levels))
        return out.view(b, k, -1)

    def _pool_assigned(self, feats: Sequence[Tensor], rois: Tensor,
                       levels: Tensor) -> Tensor:
        size = self.roi_pooler.output_size
        pooled = rois.new_zeros(
            (rois.shape[0], feats[0].shape[1], size, size))
        for lvl in range(self.roi_pooler.num_levels):
            index = (levels == lvl).nonzero(as_tuple=True)[0]
            if index.numel():
                pooled = pooled.index_copy(
                    0, index, self.roi_pooler(feats, rois[index], lvl))
            else:
                # keep the level in the graph (zero gradient) so that DDP
                # does not wait for gradients of an unused FPN output conv
                pooled = pooled + 0. * feats[lvl].float().sum()
        return pooled
