"""Write a proposal store (:mod:`.format`): encode the boxes and keys and
hand the folder to :mod:`.publish`, which writes it under a temporary name
and renames it into place (a store is complete or absent, also after a power
cut) and only ever replaces a proposal store or an empty folder.
"""
import json
import os.path as osp
from typing import Iterable, List, Optional, Sequence

import numpy as np

from .format import FORMAT, KEYS_FILE, META_FILE, STATS, VERSION, key_hashes
from .publish import publishing

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

    names = [n + '.npy' for n in ('boxes', 'offsets', 'key_offsets',
                                  'hashes', 'hash_order', *arrays)]
    info['files'] = sorted(names + [KEYS_FILE, META_FILE,
                                    *(extra_files or {})])
    with publishing(out_path) as tmp:
        for name, arr in (('boxes', flat), ('offsets', offsets),
                          ('key_offsets', key_offsets),
                          ('hashes', hashes[order]), ('hash_order', order),
                          *arrays.items()):
            np.save(osp.join(tmp, name + '.npy'), arr)
        with open(osp.join(tmp, KEYS_FILE), 'wb') as f:
            f.write(b''.join(encoded))
        for name, text in (extra_files or {}).items():
            with open(osp.join(tmp, name), 'w') as f:
                f.write(text)
        with open(osp.join(tmp, META_FILE), 'w') as f:  # written last
            json.dump(info, f, indent=1, sort_keys=True)
    return out_path


__all__ = ['write_store', 'write_store_arrays']
