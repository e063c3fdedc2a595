"""Which FPN level pools a box: SoCo's size rule, as a pure function."""
from typing import Sequence

import torch
from torch import Tensor

# sqrt(w * h) in the view's pixels: <= 48 -> P2, <= 96 -> P3, <= 192 -> P4,
# larger -> P5 (docs/algorithms.md, SoCo model).
SOCO_LEVEL_THRESHOLDS = (48., 96., 192.)


def box_scales(boxes: Tensor) -> Tensor:
    """sqrt(w * h) of (..., 4) x1 y1 x2 y2 boxes (continuous pixels).

    Widths are ``x2 - x1`` (boxes are float pixel-edge coordinates, as
    RoIAlign with ``aligned=True`` reads them); degenerate boxes count as 0.
    """
    wh = (boxes[..., 2:4] - boxes[..., 0:2]).clamp(min=0)
    return (wh[..., 0] * wh[..., 1]).sqrt()


def assign_levels(boxes: Tensor,
                  thresholds: Sequence[float] = SOCO_LEVEL_THRESHOLDS
                  ) -> Tensor:
    """Level index (0 = P2, ...) of each box: the first ``i`` with
    ``sqrt(w h) <= thresholds[i]``, else ``len(thresholds)``.

    Args:
        boxes: (..., 4) boxes in the pixels of the view they lie in.
        thresholds: increasing upper bounds (inclusive) of each level.

    Returns:
        int64 tensor of shape ``boxes.shape[:-1]``.
    """
    bounds = torch.as_tensor(thresholds, dtype=torch.float32,
                             device=boxes.device)
    scales = box_scales(boxes.float()).contiguous()
    # right=False: a scale equal to a bound stays in the lower level (<=).
    return torch.bucketize(scales, bounds, right=False)
