"""The C4 transfer protocol's res5 head with one extra norm after it
(detectron2's ``Res5ROIHeadsExtraNorm``, used by MoCo and SoCo): the
pretrained res5 feeds the box and mask predictors through a fresh BN."""
from mmcv.cnn import build_norm_layer
from mmdet.models.roi_heads.shared_heads import ResLayer
from torch import Tensor, nn

from mmsoco.registry import MODELS


@MODELS.register_module()
class ResLayerExtraNorm(ResLayer):
    """mmdet's ``ResLayer`` shared head (``layer4.*`` keys, so SoCoC4's
    ``shared_head.layer4.*`` loads unchanged) followed by a norm layer,
    ``norm.*`` (built from ``norm_cfg``, freshly initialised)."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        layer = getattr(self, f'layer{self.stage + 1}')
        channels = [m for m in layer.modules()
                    if isinstance(m, nn.Conv2d)][-1].out_channels
        self.add_module('norm', build_norm_layer(self.norm_cfg, channels)[1])

    def forward(self, x: Tensor) -> Tensor:
        return self.norm(super().forward(x))
