"""A per-process numpy Generator for the registered transforms."""
import os
from typing import Optional

import numpy as np


class RandomStateMixin:
    """Gives ``self.rng``: a ``np.random.Generator`` created lazily in each
    process from numpy's global state (which mmengine's ``worker_init_fn``
    seeds per rank and worker), so forked workers never share a stream.
    ``set_rng`` pins one (tests, the browsing tool)."""

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
                np.random.randint(0, 2**31 - 1, size=4))
            self._rng_pid = pid
        return self._rng
