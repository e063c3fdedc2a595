"""ProposalStore: compact, memory-mapped, read-only proposal boxes per key.

The store's files are described in :mod:`.format`; they are checked when
the store is opened (:mod:`.validate`: a damaged or crafted store raises
:class:`~.format.StoreError`, one line naming the file). Everything is
opened with ``np.load(mmap_mode='r')``: opening, checks included, takes
about 25 ms for ImageNet-1k's 1.28M keys, and forked dataloader workers
share the page cache instead of each holding a copy (no Python object per
key).
"""
import mmap
import os.path as osp
from typing import Iterator, Optional

import numpy as np

from .format import ARRAYS, STATS, key_hash
from .validate import check_boxes, load_arrays, load_meta


class ProposalStore:
    """Read-only mapping ``key -> float32 (N, 4)`` x1 y1 x2 y2 boxes."""

    def __init__(self, path: str):
        self.path = path
        meta_file = osp.join(path, 'meta.json')
        if not osp.isfile(meta_file):
            raise FileNotFoundError(
                f'{path} is not a proposal store (no meta.json); build one '
                'with: python tools/generate_proposals.py IMAGE_ROOT '
                f'{path}')
        self.meta = load_meta(path)
        arrays = load_arrays(path, self.meta)
        for name in ARRAYS + ('keys', ):
            setattr(self, '_' + name, _random_access(arrays[name]))
        self._image_stats = arrays.get(STATS)

    def __reduce__(self):
        # pickle (e.g. for spawned dataloader workers) as the path, so each
        # process maps the files instead of receiving a copy of the arrays
        return (ProposalStore, (self.path, ))

    # -- mapping protocol
    def __len__(self) -> int:
        return len(self._offsets) - 1

    def _key_at(self, i: int) -> str:
        a, b = self._key_offsets[i], self._key_offsets[i + 1]
        return bytes(self._keys[a:b]).decode('utf-8')

    def index(self, key: str) -> int:
        """Entry index of ``key``, or -1 when absent."""
        if not isinstance(key, str):
            raise TypeError(f'proposal store keys are str (image paths '
                            f'relative to the image root), got {key!r}')
        h = np.uint64(key_hash(key))
        i = int(np.searchsorted(self._hashes, h))
        while i < len(self._hashes) and self._hashes[i] == h:
            j = int(self._hash_order[i])
            if self._key_at(j) == key:
                return j
            i += 1
        return -1

    def __contains__(self, key) -> bool:
        return isinstance(key, str) and self.index(key) >= 0

    def __getitem__(self, key: str) -> np.ndarray:
        i = self.index(key)
        if i < 0:
            raise KeyError(f'{key!r} is not in proposal store {self.path}')
        return self.boxes_at(i)

    def get(self, key: str, default=None) -> Optional[np.ndarray]:
        i = self.index(key)
        return default if i < 0 else self.boxes_at(i)

    def boxes_at(self, i: int) -> np.ndarray:
        a, b = self._offsets[i], self._offsets[i + 1]
        return check_boxes(np.array(self._boxes[a:b], dtype=np.float32)
                           .reshape(-1, 4), self.path, i)

    @property
    def has_image_stats(self) -> bool:
        return self._image_stats is not None

    def image_stats_at(self, i: int) -> Optional[np.ndarray]:
        """(width, height, file size, mtime_ns) int64 of entry ``i`` when
        the store was made, or None for a store that did not record them."""
        if self._image_stats is None:
            return None
        return np.array(self._image_stats[i], np.int64)

    def keys(self) -> Iterator[str]:
        for i in range(len(self)):
            yield self._key_at(i)

    __iter__ = keys

    def __repr__(self) -> str:
        return (f'ProposalStore({self.path!r}, {len(self)} keys, '
                f'{len(self._boxes)} boxes)')


def _random_access(arr: np.ndarray) -> np.ndarray:
    """Tell the kernel lookups are random: no read-ahead around each page
    fault, so a worker reads (and maps) only the pages it uses."""
    mm = getattr(arr, '_mmap', None)
    if mm is not None and hasattr(mm, 'madvise') and \
            hasattr(mmap, 'MADV_RANDOM'):
        try:
            mm.madvise(mmap.MADV_RANDOM)
        except OSError:
            pass
    return arr


__all__ = ['ProposalStore']
