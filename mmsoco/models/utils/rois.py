"""Boxes per image -> the (N, 5) RoI layout of mmcv.ops.RoIAlign."""
import torch
from torch import Tensor


def boxes_to_rois(boxes: Tensor) -> Tensor:
    """(B, K, 4) boxes -> (B * K, 5) rows ``[batch_index, x1, y1, x2, y2]``.

    Row ``b * K + k`` is box ``k`` of image ``b``.
    """
    if boxes.dim() != 3 or boxes.shape[-1] != 4:
        raise ValueError(f'boxes must be (B, K, 4), got {tuple(boxes.shape)}')
    b, k, _ = boxes.shape
    index = torch.arange(b, device=boxes.device, dtype=boxes.dtype)
    index = index.view(b, 1, 1).expand(b, k, 1)
    return torch.cat([index, boxes], dim=-1).reshape(b * k, 5)
