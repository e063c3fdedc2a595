"""A per-process numpy Generator for the registered transforms."""
import os
from typing import Optional

import numpy as np


def _worker_seed() -> int:
    """torch's per-iterator seed of this dataloader worker (0 outside one).

    mmengine's ``worker_init_fn`` seeds numpy with seed + rank + worker id,
    the same every epoch, so non-persistent workers would replay last
    epoch's views; torch draws a fresh base seed for every iterator from the
    (seeded) main process, which keeps runs reproducible but epochs apart.
    """
    import torch.utils.data
    info = torch.utils.data.get_worker_info()
    return 0 if info is None else int(info.seed) % (2**63)


class RandomStateMixin:
    """Gives ``self.rng``: a ``np.random.Generator`` created lazily in each
    process from numpy's global state (seeded per rank and worker by
    mmengine) and the worker's per-epoch torch seed, so forked workers never
    share a stream and epochs differ. ``set_rng`` pins one (tests, the
    browsing tool)."""

    _rng: Optional[np.random.Generator] = None
    _rng_pid: int = -1
    _rng_pinned: bool = False

    def set_rng(self, rng) -> None:
        self._rng = (rng if isinstance(rng, np.random.Generator) else
                     np.random.default_rng(rng))
        self._rng_pinned = True

    @property
    def rng(self) -> np.random.Generator:
        pid = os.getpid()
        if self._rng is None or (pid != self._rng_pid
                                 and not self._rng_pinned):
            self._rng = np.random.default_rng(
                [*np.random.randint(0, 2**31 - 1, size=4), _worker_seed()])
            self._rng_pid = pid
        return self._rng
