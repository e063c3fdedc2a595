"""The target network's cosine schedule and EMA step, as pure functions
(``MomentumTarget`` applies them)."""
import math
from typing import Iterable, Tuple

import torch
from torch import Tensor, nn


def cosine_momentum(k: int, total: int, base: float = 0.99) -> float:
    """tau = 1 - (1 - base) * (cos(pi * k / total) + 1) / 2.

    ``k`` is the global iteration (0-based, taken from the runner so that it
    continues after a resume), ``total`` the run's total iterations: tau goes
    from ``base`` at k = 0 to 1 at k = total (ALGORITHMS.md §1.3).
    """
    if total <= 0:
        raise ValueError(f'cosine_momentum needs total > 0, got {total}')
    k = min(max(k, 0), total)
    return 1. - (1. - base) * (math.cos(math.pi * k / total) + 1.) / 2.


def _parameter_pairs(target: nn.Module, online: nn.Module
                     ) -> Iterable[Tuple[Tensor, Tensor]]:
    t_items = list(target.named_parameters())
    o_items = list(online.named_parameters())
    t_names = [n for n, _ in t_items]
    o_names = [n for n, _ in o_items]
    if t_names != o_names:
        raise RuntimeError(f'target and online parameters differ: '
                           f'{sorted(set(t_names) ^ set(o_names))[:5]}')
    return ((t, o) for (_, t), (_, o) in zip(t_items, o_items))


@torch.no_grad()
def ema_update_(target: nn.Module, online: nn.Module, tau: float) -> None:
    """target = tau * target + (1 - tau) * online over parameters, in place.

    Buffers (BN running statistics, counters) are left alone: the target
    keeps its own, updated by its own forward passes, as SoCo's target
    (ALGORITHMS.md §1.3: parameters, not BN buffers, follow the EMA) and
    InsLoc's MoCo key network do."""
    for t, o in _parameter_pairs(target, online):
        t.mul_(tau).add_(o.detach(), alpha=1. - tau)
