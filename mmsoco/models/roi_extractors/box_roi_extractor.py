"""The RoI extractor of every mmsoco algorithm: level assignment by SoCo's
size rule and RoIAlign (mmcv.ops) on one, the assigned, or every level.

Like mmdet's ``SingleRoIExtractor`` it takes the multi-level features and
``(N, 5)`` RoIs (batch index, x1 y1 x2 y2) and owns the rule that maps a
RoI to a level; unlike it, the rule is SoCo's (sqrt(wh) in view pixels
against fixed thresholds; docs/algorithms.md, SoCo model) and it can also
pool every RoI on every level, which SoCo's reference mode and InsLoc need.
"""
from typing import Optional, Sequence, Union

import torch
from mmcv.ops import RoIAlign
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmsoco.registry import MODELS
from ..utils.level_assign import SOCO_LEVEL_THRESHOLDS, assign_levels

# 'assigned_level': each RoI on its level -> (N, C, S, S);
# 'all_levels': every RoI on every level -> (L, N, C, S, S)
POOL_MODES = ('assigned_level', 'all_levels')


def _default_thresholds(num_levels: int) -> Optional[tuple]:
    if num_levels == 1:
        return ()
    if num_levels == len(SOCO_LEVEL_THRESHOLDS) + 1:
        return SOCO_LEVEL_THRESHOLDS
    return None  # no rule: only explicit levels can be pooled


@MODELS.register_module()
class BoxRoIExtractor(BaseModule):
    """RoIAlign of boxes on multi-level features; no parameters.

    Args:
        output_size: side of the pooled features (7 for FPN, 14 for C4).
        strides: stride of each level in view pixels (4, 8, 16, 32 for
            P2-P5; (16,) for C4).
        level_thresholds: increasing sqrt(wh) upper bounds (inclusive, view
            pixels) of every level but the last; ``len(strides) - 1`` of
            them. ``None``: SoCo's (48, 96, 192) for four levels, none for
            one level (otherwise only explicit levels can be pooled).
        sampling_ratio: 0 = adaptive (ceil(roi size / output size) samples
            per bin), as the reference's torchvision call.
        aligned: half-pixel offset (True, as the reference).

    The state dict is empty.
    """

    def __init__(self,
                 output_size: int = 7,
                 strides: Sequence[int] = (4, 8, 16, 32),
                 level_thresholds: Optional[Sequence[float]] = None,
                 sampling_ratio: int = 0,
                 aligned: bool = True,
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.strides = tuple(strides)
        if not self.strides:
            raise ValueError('BoxRoIExtractor: strides must name at least '
                             'one level')
        self.output_size = output_size
        self.roi_layers = nn.ModuleList(
            RoIAlign(output_size, 1. / s, sampling_ratio, aligned=aligned)
            for s in self.strides)
        if level_thresholds is None:
            self.level_thresholds = _default_thresholds(self.num_levels)
        else:
            self.level_thresholds = tuple(float(t) for t in level_thresholds)
            if len(self.level_thresholds) != self.num_levels - 1:
                raise ValueError(
                    f'BoxRoIExtractor: {self.num_levels} levels (strides '
                    f'{self.strides}) need {self.num_levels - 1} '
                    f'level_thresholds, got {self.level_thresholds}')

    @property
    def num_levels(self) -> int:
        return len(self.strides)

    # ------------------------------------------------------ assignment
    def map_roi_levels(self, rois: Tensor) -> Tensor:
        """(N, 5) RoIs -> (N,) int64 level of each (0 = the finest)."""
        if self.level_thresholds is None:
            raise ValueError(
                f'BoxRoIExtractor with {self.num_levels} levels has no '
                'level rule: set level_thresholds (one bound per level but '
                'the last)')
        return assign_levels(rois[:, 1:5], self.level_thresholds)

    # --------------------------------------------------------- pooling
    def pool_level(self, feats: Sequence[Tensor], rois: Tensor,
                   level: int) -> Tensor:
        """Every RoI on ``feats[level]`` -> (N, C, S, S), in float32
        (mmcv's kernel has no half/bfloat16 path; under autocast the
        features are cast up)."""
        return self.roi_layers[level](feats[level].float(), rois.float())

    def pool_assigned(self, feats: Sequence[Tensor], rois: Tensor,
                      levels: Optional[Tensor] = None) -> Tensor:
        """Each RoI on its level (``levels``, by default
        :meth:`map_roi_levels`) -> (N, C, S, S)."""
        if self.num_levels == 1:
            return self.pool_level(feats, rois, 0)
        if levels is None:
            levels = self.map_roi_levels(rois)
        size = self.output_size
        pooled = rois.new_zeros(
            (rois.shape[0], feats[0].shape[1], size, size),
            dtype=torch.float32)
        for lvl in range(self.num_levels):
            index = (levels == lvl).nonzero(as_tuple=True)[0]
            if index.numel():
                pooled = pooled.index_copy(
                    0, index, self.pool_level(feats, rois[index], lvl))
            else:
                # keep the level in the graph (zero gradient) so that DDP
                # does not wait for gradients of an unused FPN output conv
                pooled = pooled + 0. * feats[lvl].float().sum()
        return pooled

    def pool_all_levels(self, feats: Sequence[Tensor],
                        rois: Union[Tensor, Sequence[Tensor]]) -> Tensor:
        """Every RoI on every level -> (L, N, C, S, S). ``rois`` is one
        (N, 5) tensor for all levels or one per level (InsLoc's query
        boxes differ by level)."""
        if isinstance(rois, Tensor):
            rois = [rois] * self.num_levels
        if len(rois) != self.num_levels:
            raise ValueError(f'{len(rois)} RoI sets for {self.num_levels} '
                             'levels')
        return torch.stack([self.pool_level(feats, r, lvl)
                            for lvl, r in enumerate(rois)])

    def forward(self,
                feats: Sequence[Tensor],
                rois: Tensor,
                mode: str = 'assigned_level') -> Tensor:
        """Pool (N, 5) ``rois`` (batch index, x1 y1 x2 y2 in view pixels)
        by ``mode``: ``'assigned_level'`` -> (N, C, S, S),
        ``'all_levels'`` -> (L, N, C, S, S). One explicit level:
        :meth:`pool_level`.
        """
        if len(feats) != self.num_levels:
            raise ValueError(f'{len(feats)} feature levels given, the RoI '
                             f'extractor has {self.num_levels} strides '
                             f'{self.strides}')
        if mode == 'assigned_level':
            return self.pool_assigned(feats, rois)
        if mode == 'all_levels':
            return self.pool_all_levels(feats, rois)
        raise ValueError(f'pool mode must be one of {POOL_MODES}, got '
                         f'{mode!r}')
