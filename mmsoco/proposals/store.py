"""ProposalStore: compact, memory-mapped, read-only proposal boxes per key.

A store is a folder of plain ``.npy`` arrays (no pickles)::

    meta.json        format version, counts, dtype, how it was made
    boxes.npy        (M, 4) uint16 (integral pixel boxes) or float32
    offsets.npy      (K + 1,) int64: boxes of entry i are boxes[o[i]:o[i+1]]
    keys.bin         the K keys, UTF-8, concatenated
    key_offsets.npy  (K + 1,) int64 byte offsets into keys.bin
    hashes.npy       (K,) uint64 sorted 64-bit BLAKE2b hashes of the keys
    hash_order.npy   (K,) int64 entry index of each sorted hash
    image_stats.npy  (K, 4) int64 width, height, file size (bytes) and
                     mtime (ns) of each image when its proposals were made
                     (optional: stores written before it lack it)

Everything is opened with ``np.load(mmap_mode='r')``: opening costs a few
milliseconds whatever the size, and forked dataloader workers share the
page cache instead of each holding a copy (no Python object per key).
``write_store`` encodes the arrays and hands the folder to
:mod:`mmsoco.proposals.publish`, which writes it under a temporary name and
renames it into place (a store is complete or absent, also after a power
cut) and only ever replaces a proposal store or an empty folder.
"""
import hashlib
import json
import mmap
import os.path as osp
from typing import Iterable, Iterator, List, Optional, Sequence

import numpy as np

from mmsoco.proposals.publish import publishing

FORMAT = 'mmsoco-proposals'
VERSION = 1
_ARRAYS = ('boxes', 'offsets', 'key_offsets', 'hashes', 'hash_order')
STATS = 'image_stats'  # columns: width, height, file size, mtime_ns


def key_hash(key: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(key.encode('utf-8'), digest_size=8).digest(),
        'little')


def key_hashes(keys: Sequence[str]) -> np.ndarray:
    return np.fromiter((key_hash(k) for k in keys), np.uint64, len(keys))


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
        with open(meta_file) as f:
            self.meta = json.load(f)
        if self.meta.get('format') != FORMAT or \
                self.meta.get('version') != VERSION:
            raise ValueError(
                f'{path}: unsupported store format {self.meta.get("format")}'
                f' v{self.meta.get("version")}; regenerate it with '
                'tools/generate_proposals.py')
        for name in _ARRAYS:
            arr = np.load(osp.join(path, name + '.npy'), mmap_mode='r')
            setattr(self, '_' + name, _random_access(arr))
        stats = osp.join(path, STATS + '.npy')
        self._image_stats = (np.load(stats, mmap_mode='r')
                             if osp.isfile(stats) else None)
        kb = osp.join(path, 'keys.bin')
        self._keys = (_random_access(np.memmap(kb, np.uint8, 'r'))
                      if osp.getsize(kb) else np.zeros(0, np.uint8))

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
        return np.array(self._boxes[a:b], dtype=np.float32).reshape(-1, 4)

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


def write_store(out_path: str, keys: Sequence[str],
                boxes: Iterable[np.ndarray], meta: Optional[dict] = None,
                extra_files: Optional[dict] = None,
                image_stats: Optional[np.ndarray] = None) -> str:
    """Write a store atomically; ``boxes`` aligned with ``keys``.

    ``extra_files`` maps file names to text written inside the store (e.g. a
    report). ``image_stats``: optional (K, 4) int64 width, height, file size
    and mtime_ns per key. An existing store (or empty folder) at
    ``out_path`` is replaced; any other existing path raises
    FileExistsError.
    """
    arrs: List[np.ndarray] = [np.asarray(b, np.float32).reshape(-1, 4)
                              for b in boxes]
    if len(arrs) != len(keys):
        raise ValueError(f'{len(keys)} keys but {len(arrs)} box arrays')
    counts = np.array([len(a) for a in arrs], np.int64)
    flat = (np.concatenate(arrs) if arrs else np.zeros((0, 4), np.float32))
    return write_store_arrays(out_path, keys, flat, counts, meta,
                              extra_files, image_stats)


def write_store_arrays(out_path: str, keys: Sequence[str],
                       flat_boxes: np.ndarray, counts: np.ndarray,
                       meta: Optional[dict] = None,
                       extra_files: Optional[dict] = None,
                       image_stats: Optional[np.ndarray] = None) -> str:
    """Like write_store, from all boxes (M, 4) and per-key counts (K,).

    Boxes are kept as uint16 when they are integral and within 0..65535
    (half the size of float32), else as float32.
    """
    keys = list(keys)
    if len(set(keys)) != len(keys):
        raise ValueError('duplicate keys given to write_store')
    counts = np.asarray(counts, np.int64)
    flat = np.asarray(flat_boxes).reshape(-1, 4)
    if len(counts) != len(keys) or counts.sum() != len(flat):
        raise ValueError(f'{len(keys)} keys, {len(counts)} counts summing '
                         f'to {counts.sum()}, {len(flat)} boxes')
    arrays = {}
    if image_stats is not None:
        image_stats = np.asarray(image_stats, np.int64)
        if image_stats.shape != (len(keys), 4):
            raise ValueError(f'image_stats must be ({len(keys)}, 4), got '
                             f'{image_stats.shape}')
        arrays[STATS] = image_stats
    offsets = np.zeros(len(keys) + 1, np.int64)
    np.cumsum(counts, out=offsets[1:])
    if flat.dtype != np.uint16:
        integral = (flat.size == 0 or
                    (flat.min() >= 0 and flat.max() <= 65535 and
                     (flat.dtype.kind in 'iu' or
                      np.array_equal(flat, np.round(flat)))))
        flat = flat.astype(np.uint16 if integral else np.float32)
    encoded = [k.encode('utf-8') for k in keys]
    key_offsets = np.zeros(len(keys) + 1, np.int64)
    np.cumsum([len(e) for e in encoded], out=key_offsets[1:])
    hashes = key_hashes(keys)
    order = np.argsort(hashes, kind='stable')
    info = dict(format=FORMAT, version=VERSION, num_keys=len(keys),
                num_boxes=int(len(flat)), box_dtype=str(flat.dtype))
    info.update(meta or {})

    with publishing(out_path) as tmp:
        for name, arr in (('boxes', flat), ('offsets', offsets),
                          ('key_offsets', key_offsets),
                          ('hashes', hashes[order]), ('hash_order', order),
                          *arrays.items()):
            np.save(osp.join(tmp, name + '.npy'), arr)
        with open(osp.join(tmp, 'keys.bin'), 'wb') as f:
            f.write(b''.join(encoded))
        for name, text in (extra_files or {}).items():
            with open(osp.join(tmp, name), 'w') as f:
                f.write(text)
        with open(osp.join(tmp, 'meta.json'), 'w') as f:  # written last
            json.dump(info, f, indent=1, sort_keys=True)
    return out_path


def is_store(path: str) -> bool:
    """True when ``path`` is a folder holding a proposal store's meta.json."""
    meta = read_meta(path)
    return meta is not None and meta.get('format') == FORMAT


def read_meta(path: str) -> Optional[dict]:
    """The store's meta.json as a dict, or None when there is none."""
    try:
        with open(osp.join(path, 'meta.json')) as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


__all__ = ['ProposalStore', 'write_store', 'write_store_arrays', 'key_hash',
           'is_store', 'read_meta']
