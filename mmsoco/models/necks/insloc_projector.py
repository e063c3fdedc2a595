"""The end of InsLoc's RoI head after the detector's 4conv1fc part."""
from typing import Optional

from mmengine.model import BaseModule
from torch import Tensor, nn

from mmsoco.registry import MODELS


@MODELS.register_module()
class InsLocProjector(BaseModule):
    """``fc``: in -> hidden Linear, ReLU; ``fc_out``: hidden -> out Linear.

    With the 4conv1fc head (whose ``shared_fcs.0`` is the first FC 1024 and
    exports into Mask R-CNN) this completes InsLoc's head: 4conv, FC 1024,
    FC 1024, Linear 128 (L2 normalisation is done by the algorithm).
    """

    def __init__(self, in_channels: int = 1024, hid_channels: int = 1024,
                 out_channels: int = 128,
                 init_cfg: Optional[dict] = dict(
                     type='Xavier', layer='Linear', distribution='uniform')):
        super().__init__(init_cfg=init_cfg)
        self.fc = nn.Linear(in_channels, hid_channels)
        self.relu = nn.ReLU(inplace=True)
        self.fc_out = nn.Linear(hid_channels, out_channels)

    def forward(self, x: Tensor) -> Tensor:
        return self.fc_out(self.relu(self.fc(x)))
