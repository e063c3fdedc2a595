"""SoCo on an R50-C4 detector: docs/algorithms.md, SoCo model
(C4 variant)."""
from typing import Mapping, Optional

import torch.nn.functional as F
from torch import Tensor, nn

from mmsoco.registry import MODELS
from ..utils import boxes_to_rois
from ..utils.export_map import C4_EXPORT_MAP
from .base_soco import BaseSoCo

C4_ROI_EXTRACTOR = dict(type='BoxRoIExtractor', output_size=14,
                        strides=(16, ))


@MODELS.register_module()
class SoCoC4(BaseSoCo):
    """ResNet stages 1-3 -> RoIAlign 14x14 on C4 -> res5 (``shared_head``,
    mmdet's ``ResLayer`` so that ``shared_head.layer4.*`` loads into
    Mask R-CNN C4) -> 7x7 average pool -> projector 2048 -> 4096 -> 256.

    Args:
        backbone: ``mmdet.ResNet`` with ``num_stages=3, out_indices=(2,)``.
        shared_head: ``mmdet.ResLayer`` (stage 3).
        roi_extractor: a ``BoxRoIExtractor`` with one stride (16).
        zero_init_shared_head_residual: zero the last BN gamma of every
            res5 block, as the backbone's ``zero_init_residual`` does.
    """

    ONLINE = ('backbone', 'shared_head', 'projector')
    EXPORT_MAP = C4_EXPORT_MAP

    def __init__(self,
                 backbone: dict,
                 shared_head: dict,
                 projector: dict,
                 predictor: dict,
                 roi_extractor: Optional[dict] = None,
                 zero_init_shared_head_residual: bool = True,
                 base_momentum: float = 0.99,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(base_momentum, data_preprocessor, init_cfg)
        self.backbone = MODELS.build(backbone)
        self.shared_head = MODELS.build(shared_head)
        self.projector = MODELS.build(projector)
        self.predictor = MODELS.build(predictor)
        self.roi_extractor = MODELS.build(roi_extractor or C4_ROI_EXTRACTOR)
        if self.roi_extractor.num_levels != 1:
            raise ValueError('SoCoC4 pools on C4 only: give roi_extractor '
                             'one stride (16)')
        self.zero_init_shared_head_residual = zero_init_shared_head_residual
        self._build_target(self.base_momentum)

    def init_weights(self) -> None:
        super().init_weights()
        if self.zero_init_shared_head_residual:
            for block in self.shared_head.modules():
                if hasattr(block, 'norm3'):
                    nn.init.zeros_(block.norm3.weight)
            self.sync_target()  # the target starts equal to the online net

    def extract_feat(self, img: Tensor, nets: Mapping[str, nn.Module]):
        return nets['backbone'](img)[-1]

    def embed(self, feats: Tensor, boxes: Tensor,
              nets: Mapping[str, nn.Module], predict: bool) -> Tensor:
        b, k, _ = boxes.shape
        pooled = self.roi_extractor([feats], boxes_to_rois(boxes))
        x = nets['shared_head'](pooled)
        x = F.adaptive_avg_pool2d(x, 1).flatten(1)
        z = nets['projector'](x)
        z = nets['predictor'](z) if predict else z
        return F.normalize(z.float(), dim=1).view(b, k, -1)
