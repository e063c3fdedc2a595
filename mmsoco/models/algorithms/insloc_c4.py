"""InsLoc on an R50-C4 detector (the variant the reference never released).
"""
from typing import List, Mapping, Optional

import torch.nn.functional as F
from torch import Tensor, nn

from mmsoco.registry import MODELS
from ..utils.export_map import C4_EXPORT_MAP
from .base_insloc import BaseInsLoc


@MODELS.register_module()
class InsLocC4(BaseInsLoc):
    """ResNet stages 1-3 -> RoIAlign 14x14 on C4 (stride 16) -> res5
    (``shared_head``: mmdet's ``ResLayer``, so ``shared_head.layer4.*``
    loads into Mask R-CNN C4) -> 7x7 average pool -> ``projector``
    (2048 -> 1024 -> 128) -> L2 norm; one level, one queue. The box
    augmentation (stride-16 anchors) applies to C4, the only level, unless
    ``box_aug=None``. Loss: ``loss_c4``. Other arguments: see
    :class:`~.base_insloc.BaseInsLoc`.
    """

    ONLINE = ('backbone', 'shared_head', 'projector')
    EXPORT_MAP = C4_EXPORT_MAP
    LOSS_PREFIX, FIRST_LEVEL = 'loss_c', 4
    DEFAULT_ROI_EXTRACTOR = dict(type='BoxRoIExtractor', output_size=14,
                                 strides=(16, ))

    def __init__(self, backbone: dict, shared_head: dict, projector: dict,
                 roi_extractor: Optional[dict] = None,
                 box_aug: Optional[dict] = dict(levels=(0, )),
                 **kwargs):
        super().__init__(
            dict(backbone=backbone, shared_head=shared_head,
                 projector=projector),
            roi_extractor=roi_extractor,
            box_aug=box_aug, **kwargs)
        if self.num_levels != 1:
            raise ValueError('InsLocC4 pools on C4 only: give '
                             'roi_extractor one stride (16)')

    def extract_feat(self, img: Tensor,
                     nets: Mapping[str, nn.Module]) -> List[Tensor]:
        return [nets['backbone'](img)[-1]]

    def roi_vectors(self, pooled: Tensor,
                    nets: Mapping[str, nn.Module]) -> Tensor:
        return F.adaptive_avg_pool2d(nets['shared_head'](pooled),
                                     1).flatten(1)
