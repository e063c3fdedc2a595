"""The detector's 4conv1fc box head, without classifier or regressor.

Its parameters carry the names of mmdet's ``Shared4Conv1FCBBoxHead``
(``shared_convs.{0..3}.conv`` / ``.bn`` and ``shared_fcs.0``), so a SoCo
checkpoint's ``bbox_head.*`` loads into Mask R-CNN's
``roi_head.bbox_head.*`` key for key.
"""
from typing import Optional

from mmcv.cnn import ConvModule
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmsoco.registry import MODELS


@MODELS.register_module()
class Shared4Conv1FCEmbedHead(BaseModule):
    """``num_convs`` x [3x3 conv, norm, ReLU] -> flatten -> FC, ReLU.

    Args:
        in_channels: channels of the pooled RoI features.
        roi_feat_size: side of the pooled RoI features (7).
        num_convs: 4 for the 4conv1fc head.
        conv_out_channels: 256 in mmdet's head.
        fc_out_channels: 1024 in mmdet's head.
        norm_cfg: norm after each conv (``SyncBN`` / ``BN``); the conv has no
            bias, as mmdet's ConvModule with a norm.
    """

    def __init__(self,
                 in_channels: int = 256,
                 roi_feat_size: int = 7,
                 num_convs: int = 4,
                 conv_out_channels: int = 256,
                 fc_out_channels: int = 1024,
                 norm_cfg: dict = dict(type='BN'),
                 init_cfg: Optional[dict] = None):
        if init_cfg is None:
            init_cfg = [
                dict(type='Kaiming', layer='Conv2d'),
                dict(type='Xavier', layer='Linear', distribution='uniform'),
                dict(type='Constant', val=1, layer=['_BatchNorm'])
            ]
        super().__init__(init_cfg=init_cfg)
        self.out_channels = fc_out_channels
        self.shared_convs = nn.ModuleList(
            ConvModule(in_channels if i == 0 else conv_out_channels,
                       conv_out_channels, 3, padding=1, norm_cfg=norm_cfg)
            for i in range(num_convs))
        last = conv_out_channels if num_convs else in_channels
        self.shared_fcs = nn.ModuleList(
            [nn.Linear(last * roi_feat_size * roi_feat_size,
                       fc_out_channels)])
        self.relu = nn.ReLU(inplace=True)

    def forward(self, x: Tensor) -> Tensor:
        """(N, C, S, S) pooled RoIs -> (N, fc_out_channels)."""
        for conv in self.shared_convs:
            x = conv(x)
        x = x.flatten(1)
        for fc in self.shared_fcs:
            x = self.relu(fc(x))
        return x
