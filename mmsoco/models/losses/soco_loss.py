"""SoCo's box-level BYOL loss, as pure functions (docs/algorithms.md,
SoCo target network and loss)."""
from typing import Optional

import torch
import torch.nn.functional as F
from torch import Tensor


def normalized_cosine_loss(pred: Tensor,
                           target: Tensor,
                           correspondence: Optional[Tensor] = None) -> Tensor:
    """-2 x (batch mean of the per-image mean cosine over matched boxes).

    Args:
        pred: (B, K, C) online predictions for the boxes of one view.
        target: (B, K, C) target projections for the boxes of the other view.
        correspondence: optional (B, K, K) 0/1 matrix, ``[b, i, j] = 1`` when
            pred box ``i`` and target box ``j`` are the same proposal (as the
            reference builds from proposal ids). ``None``: row ``k`` matches
            row ``k`` only.

    Both inputs are L2-normalised along C here, so the value lies in [-2, 2]
    (-2 when every matched pair points the same way).
    """
    if pred.shape != target.shape or pred.dim() != 3:
        raise ValueError('pred and target must both be (B, K, C), got '
                         f'{tuple(pred.shape)} and {tuple(target.shape)}')
    pred = F.normalize(pred.float(), dim=-1)
    target = F.normalize(target.float(), dim=-1)
    if correspondence is None:
        per_image = (pred * target).sum(-1).mean(-1)
    else:
        corr = correspondence.to(pred.dtype)
        sim = torch.bmm(pred, target.transpose(1, 2))
        per_image = (sim * corr).sum((1, 2)) / (corr.sum((1, 2)) + 1e-6)
    return -2. * per_image.mean()


def symmetric_soco_loss(pred_a: Tensor,
                        target_a: Tensor,
                        pred_b: Tensor,
                        target_b: Tensor,
                        correspondence: Optional[Tensor] = None) -> Tensor:
    """The loss of one view pair (a, b), symmetrised: a's predictions
    regress b's targets and b's predictions regress a's targets.

    ``correspondence`` is a-rows by b-columns; its transpose serves b -> a.
    """
    corr_t = None if correspondence is None else correspondence.transpose(
        1, 2)
    return (normalized_cosine_loss(pred_a, target_b, correspondence) +
            normalized_cosine_loss(pred_b, target_a, corr_t))
