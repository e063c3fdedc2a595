"""torch generators seeded by a sample's view seed, for the randomness that
lives in the model (InsLoc's box augmentation and shuffle-BN), so that it
too is a pure function of (seed, epoch, index), like the views
(``mmsoco.datasets.transforms.random_state``)."""
import zlib
from typing import Optional, Sequence

import numpy as np
import torch

from mmsoco.structures import VIEW_SEED_KEY


def stream_id(name: str) -> int:
    """A fixed number per named use of a sample's seed."""
    return zlib.crc32(name.encode())


def seeded_generator(*entropy: int) -> torch.Generator:
    """A CPU ``torch.Generator`` seeded from the integers ``entropy``
    (through numpy's ``SeedSequence``, so nearby inputs give unrelated
    streams)."""
    seq = np.random.SeedSequence([int(e) for e in entropy])
    return torch.Generator().manual_seed(
        int(seq.generate_state(1, np.uint64)[0]))


def view_seeds(data_samples: Sequence) -> Optional[list]:
    """Every sample's ``(seed, epoch, index)`` metainfo, or None unless all
    samples carry one (a plain index leaves the model on torch's global
    stream)."""
    seeds = [ds.metainfo.get(VIEW_SEED_KEY) if hasattr(ds, 'metainfo')
             else None for ds in data_samples or ()]
    if not seeds or any(s is None for s in seeds):
        return None
    return [tuple(int(v) for v in s) for s in seeds]
