"""RoIAlign of boxes on one or several feature levels (mmcv.ops)."""
from typing import Sequence

from mmcv.ops import RoIAlign
from mmengine.model import BaseModule
from torch import Tensor, nn

from mmsoco.registry import MODELS


@MODELS.register_module()
class BoxRoIPooler(BaseModule):
    """One ``mmcv.ops.RoIAlign`` per feature level.

    Args:
        output_size: side of the pooled features (7 for FPN, 14 for C4).
        strides: stride of each level in view pixels (4, 8, 16, 32 for
            P2-P5; (16,) for C4).
        sampling_ratio: 0 = adaptive (ceil(roi size / output size) samples
            per bin), as the reference's torchvision call.
        aligned: half-pixel offset (True, as the reference).
    """

    def __init__(self,
                 output_size: int = 7,
                 strides: Sequence[int] = (4, 8, 16, 32),
                 sampling_ratio: int = 0,
                 aligned: bool = True):
        super().__init__()
        self.strides = tuple(strides)
        self.output_size = output_size
        self.roi_layers = nn.ModuleList(
            RoIAlign(output_size, 1. / s, sampling_ratio, aligned=aligned)
            for s in self.strides)

    @property
    def num_levels(self) -> int:
        return len(self.strides)

    def forward(self, feats: Sequence[Tensor], rois: Tensor,
                level: int) -> Tensor:
        """Pool (N, 5) ``rois`` (batch index, x1 y1 x2 y2 in view pixels) on
        ``feats[level]`` -> (N, C, S, S), in float32 (mmcv's kernel has no
        half/bfloat16 path; under autocast the features are cast up)."""
        return self.roi_layers[level](feats[level].float(), rois.float())
