"""MoCo's InfoNCE, per level and summed over levels (pure functions)."""
from typing import Dict, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor


def info_nce_loss(q: Tensor, k: Tensor, negatives: Tensor,
                  temperature: float = 0.2) -> Tensor:
    """Cross-entropy of the positive among ``1 + M`` logits.

    Args:
        q: (B, D) L2-normalised queries.
        k: (B, D) L2-normalised positive keys (no gradient is taken).
        negatives: (M, D) L2-normalised negative keys (the queue).
    Returns the mean over the batch of
    ``-log(exp(q.k / T) / (exp(q.k / T) + sum_m exp(q.n_m / T)))``.
    """
    q = q.float()
    pos = (q * k.detach().float()).sum(1, keepdim=True)
    neg = q @ negatives.detach().float().t()
    logits = torch.cat([pos, neg], dim=1) / temperature
    labels = torch.zeros(q.shape[0], dtype=torch.long, device=q.device)
    return F.cross_entropy(logits, labels)


def multi_level_info_nce(qs: Sequence[Tensor], ks: Sequence[Tensor],
                         negatives: Sequence[Tensor],
                         temperature: float = 0.2,
                         weights: Sequence[float] = None,
                         prefix: str = 'loss_p',
                         first_level: int = 2) -> Dict[str, Tensor]:
    """One InfoNCE per level -> ``{'loss_p2': ..., 'loss_p3': ...}``;
    mmengine sums the ``loss*`` entries, so the levels are summed."""
    weights = [1.0] * len(qs) if weights is None else list(weights)
    if not len(qs) == len(ks) == len(negatives) == len(weights):
        raise ValueError('multi_level_info_nce: qs, ks, negatives and '
                         'weights need one entry per level, got '
                         f'{len(qs)}, {len(ks)}, {len(negatives)}, '
                         f'{len(weights)}')
    return {
        f'{prefix}{first_level + i}':
        w * info_nce_loss(q, k, n, temperature)
        for i, (q, k, n, w) in enumerate(zip(qs, ks, negatives, weights))
    }
