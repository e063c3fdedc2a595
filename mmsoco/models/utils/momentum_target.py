"""The EMA target network of SoCo and InsLoc (BYOL's target, MoCo's key
encoder), written once for every mmsoco algorithm."""
import copy
from typing import Mapping

import torch
from torch import nn

from .momentum import cosine_momentum, ema_update_

MOMENTUM_SCHEDULES = ('cosine', 'constant')


def scheduled_momentum(k: int, total: int, base: float,
                       schedule: str = 'cosine') -> float:
    """m at global iteration ``k`` of ``total``: ``'cosine'`` goes from
    ``base`` at k = 0 to 1 at k = total (SoCo, BYOL; see
    :func:`~.momentum.cosine_momentum`), ``'constant'`` is ``base`` at every
    iteration (MoCo, InsLoc)."""
    if schedule == 'constant':
        return float(base)
    if schedule == 'cosine':
        return cosine_momentum(k, total, base)
    raise ValueError(f'momentum schedule must be one of '
                     f'{MOMENTUM_SCHEDULES}, got {schedule!r}')


class MomentumTarget(nn.ModuleDict):
    """A copy of named online modules whose parameters follow theirs by
    ``target = m * target + (1 - m) * online``.

    Its keys are the online modules' names, so a model that holds it as
    ``target`` has the state-dict keys ``target.<name>.*`` that every mmsoco
    checkpoint has (and the exporter's ``source='target'`` reads). It has no
    state of its own besides the copies: the schedule's iteration comes from
    the caller (the runner's, which ``--resume`` restores).

    Only parameters follow the EMA. Buffers (BN running statistics) are the
    target's own: it runs its own train-mode forward passes, normalising with
    its own batch statistics, as BYOL's target and MoCo's key encoder do
    (ALGORITHMS.md §1.3, §2.2). They start as the online network's
    (:meth:`sync`, after weight initialisation).

    Args:
        online: name -> online module; each is deep-copied (no gradient).
        base_momentum: m at iteration 0 (SoCo 0.99, InsLoc 0.999).
        schedule: ``'cosine'`` (m from ``base_momentum`` to 1 over the run)
            or ``'constant'`` (m = ``base_momentum``).

    Attributes:
        momentum: the m of the last :meth:`step` (before any step, m at
            iteration 0, i.e. ``base_momentum``).
        stepped: whether :meth:`step` ever ran in this process.
    """

    def __init__(self, online: Mapping[str, nn.Module],
                 base_momentum: float, schedule: str = 'cosine'):
        if schedule not in MOMENTUM_SCHEDULES:
            raise ValueError(f'momentum schedule must be one of '
                             f'{MOMENTUM_SCHEDULES}, got {schedule!r}')
        if not 0. <= base_momentum <= 1.:
            raise ValueError(f'base momentum must be in [0, 1], got '
                             f'{base_momentum}')
        super().__init__({n: copy.deepcopy(m) for n, m in online.items()})
        self.requires_grad_(False)
        self.base_momentum, self.schedule = float(base_momentum), schedule
        self.momentum = self.momentum_at(0, 1)
        self.stepped = False

    def momentum_at(self, k: int, total: int) -> float:
        return scheduled_momentum(k, total, self.base_momentum,
                                  self.schedule)

    def _check(self, online: Mapping[str, nn.Module]) -> None:
        if list(online) != list(self.keys()):
            raise KeyError(f'the target copies {list(self.keys())}, got '
                           f'online modules {list(online)}')

    @torch.no_grad()
    def sync(self, online: Mapping[str, nn.Module]) -> None:
        """Every parameter and buffer <- the online module's."""
        self._check(online)
        for name, module in online.items():
            self[name].load_state_dict(module.state_dict())

    @torch.no_grad()
    def step(self, online: Mapping[str, nn.Module], k: int,
             total: int) -> float:
        """One EMA step of the parameters at global iteration ``k`` of
        ``total`` (buffers stay the target's own); returns m."""
        self._check(online)
        m = self.momentum_at(k, total)
        for name, module in online.items():
            ema_update_(self[name], module, m)
        self.momentum, self.stepped = m, True
        return m

    def extra_repr(self) -> str:
        return (f'schedule={self.schedule!r}, '
                f'base_momentum={self.base_momentum}')
