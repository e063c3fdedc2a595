"""The proposal store's on-disk format: a folder of plain ``.npy`` arrays
(no pickles)::

    meta.json        format version, counts, dtype, how it was made, and
                     the names of the files its writer put in the folder
    boxes.npy        (M, 4) uint16 (integral pixel boxes) or float32
    offsets.npy      (K + 1,) int64: boxes of entry i are boxes[o[i]:o[i+1]]
    keys.bin         the K keys, UTF-8, concatenated
    key_offsets.npy  (K + 1,) int64 byte offsets into keys.bin
    hashes.npy       (K,) uint64 sorted 64-bit BLAKE2b hashes of the keys
    hash_order.npy   (K,) int64 entry index of each sorted hash
    image_stats.npy  (K, 4) int64 width, height, file size (bytes) and
                     mtime (ns) of each image when its proposals were made
                     (optional: stores written before it lack it)

plus the text files a writer adds (``report.json``, ``bad_files.txt``).
Reading: :mod:`.reader`; writing: :mod:`.writer`; putting the folder in
place: :mod:`.publish`.
"""
import hashlib
import json
import os.path as osp
from typing import Optional, Sequence

import numpy as np

FORMAT = 'mmsoco-proposals'
VERSION = 1
ARRAYS = ('boxes', 'offsets', 'key_offsets', 'hashes', 'hash_order')
STATS = 'image_stats'  # columns: width, height, file size, mtime_ns
KEYS_FILE = 'keys.bin'
META_FILE = 'meta.json'
# the files of a store written before meta.json listed them
_DEFAULT_FILES = tuple(n + '.npy' for n in ARRAYS + (STATS, )) + (
    KEYS_FILE, META_FILE, 'report.json', 'bad_files.txt')


class StoreError(ValueError):
    """A store folder whose files are damaged or were not written by this
    format's writer; the message is one line naming the file. ``file`` and
    ``problem`` (what is wrong with it) let a caller give its own fix."""

    def __init__(self, message: str, file: str = '', problem: str = ''):
        super().__init__(message)
        self.file, self.problem = file, problem


def key_hash(key: str) -> int:
    return int.from_bytes(
        hashlib.blake2b(key.encode('utf-8'), digest_size=8).digest(),
        'little')


def key_hashes(keys: Sequence[str]) -> np.ndarray:
    return np.fromiter((key_hash(k) for k in keys), np.uint64, len(keys))


def read_meta(path: str) -> Optional[dict]:
    """The store's meta.json as a dict, or None when there is none."""
    try:
        with open(osp.join(path, META_FILE), encoding='utf-8') as f:
            meta = json.load(f)
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) else None


def is_store(path: str) -> bool:
    """True when ``path`` is a folder holding a proposal store's meta.json."""
    meta = read_meta(path)
    return meta is not None and meta.get('format') == FORMAT


def written_files(meta: dict) -> set:
    """The names of the files a store's writer put in its folder."""
    files = meta.get('files')
    if isinstance(files, list) and all(isinstance(f, str) for f in files):
        return set(files) | {META_FILE}
    return set(_DEFAULT_FILES)


__all__ = ['StoreError', 'FORMAT', 'VERSION', 'ARRAYS', 'STATS', 'KEYS_FILE',
           'META_FILE', 'key_hash', 'key_hashes', 'read_meta', 'is_store',
           'written_files']
