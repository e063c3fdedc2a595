"""BYOL's projector / predictor: Linear, BN1d, ReLU, Linear."""
from typing import Optional

from mmcv.cnn import build_norm_layer
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmsoco.registry import MODELS


@MODELS.register_module()
class SoCoMLP(BaseModule):
    """``in -> hidden`` Linear, norm, ReLU, ``hidden -> out`` Linear.

    SoCo's projector is 1024 -> 4096 -> 256 (2048 -> 4096 -> 256 for C4),
    its predictor 256 -> 4096 -> 256. Attribute names follow the reference
    (``linear1``, ``bn1``, ``linear2``).
    """

    def __init__(self,
                 in_channels: int = 1024,
                 hid_channels: int = 4096,
                 out_channels: int = 256,
                 norm_cfg: dict = dict(type='BN1d'),
                 init_cfg: Optional[dict] = None):
        super().__init__(init_cfg=init_cfg)
        self.linear1 = nn.Linear(in_channels, hid_channels)
        self.bn1 = build_norm_layer(norm_cfg, hid_channels)[1]
        self.relu = nn.ReLU(inplace=True)
        self.linear2 = nn.Linear(hid_channels, out_channels)

    def forward(self, x: Tensor) -> Tensor:
        return self.linear2(self.relu(self.bn1(self.linear1(x))))
