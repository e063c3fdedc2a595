"""Where the registered view transforms draw their randomness from.

In training, ``SoCoDataset`` puts ``results['view_seed'] = (seed, epoch,
index)`` (from a :class:`~mmsoco.datasets.samplers.SampleIndex`) and each
transform draws from ``default_rng(SeedSequence([seed, epoch, index,
stream]))``, ``stream`` a fixed number per transform class: a sample's views
are a pure function of (seed, epoch, index), the same in any worker and
after ``--resume``, and one transform's options (colour off, cutout off) do
not shift another's draws. Without ``view_seed`` (a plain integer index,
calling a transform by hand) they fall back to a per-process stream.
"""
import os
import zlib
from typing import Optional

import numpy as np

from mmsoco.structures import VIEW_SEED_KEY


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
    """``rng_for(results)``: the generator a transform uses for one sample.

    In order: a generator pinned with ``set_rng`` (tests, the browsing
    tool); one seeded by ``results['view_seed']`` and the class's stream
    number; else ``self.rng``, a ``np.random.Generator`` created lazily in
    each process from numpy's global state (seeded per rank and worker by
    mmengine) and the worker's per-epoch torch seed, so forked workers never
    share a stream and epochs differ."""

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

    @property
    def rng_stream(self) -> int:
        """This transform's stream number under a sample's view seed."""
        return zlib.crc32(type(self).__name__.encode())

    def rng_for(self, results: dict) -> np.random.Generator:
        if self._rng_pinned:
            return self._rng
        key = results.get(VIEW_SEED_KEY)
        if key is None:
            return self.rng
        return np.random.default_rng(
            np.random.SeedSequence([*map(int, key), self.rng_stream]))
