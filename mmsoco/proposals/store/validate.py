"""Open a store's files and check them before anything is looked up.

A damaged or crafted store (a truncated or foreign ``.npy`` file, a
``meta.json`` that is not the writer's, offsets that point outside the
boxes, a ``hash_order`` that is no permutation, keys that are not UTF-8 or
split a character, ``image_stats`` of the wrong shape) raises
:class:`~.format.StoreError` with one line naming the file. Every check is
a few vectorised passes over the index arrays (milliseconds for an
ImageNet-size store); the boxes themselves are checked per lookup
(:meth:`.reader.ProposalStore.boxes_at`). Whether the keys name files
inside an image root is decided where they are opened
(:mod:`mmsoco.image_set.roots`).
"""
import codecs
import json
import os.path as osp
from typing import Dict

import numpy as np

from .format import (ARRAYS, FORMAT, KEYS_FILE, META_FILE, STATS, VERSION,
                     StoreError)

_DTYPES = dict(offsets=np.int64, key_offsets=np.int64, hashes=np.uint64,
               hash_order=np.int64)
_REMAKE = 'remake the store with tools/generate_proposals.py'


def _bad(path: str, what: str) -> StoreError:
    return StoreError(f'proposal store file {path} {what}; {_REMAKE}',
                      path, what)


def load_meta(path: str) -> dict:
    """The store's ``meta.json``, checked (format, version, counts)."""
    meta_file = osp.join(path, META_FILE)
    try:
        with open(meta_file, encoding='utf-8') as f:
            meta = json.load(f)
    except (UnicodeDecodeError, ValueError) as e:
        raise _bad(meta_file, f'is not valid UTF-8 JSON ({str(e)[:60]})')
    if not isinstance(meta, dict):
        raise _bad(meta_file, 'is not a JSON object')
    if meta.get('format') != FORMAT or meta.get('version') != VERSION:
        raise StoreError(
            f'{path}: unsupported store format {meta.get("format")}'
            f' v{meta.get("version")}; regenerate it with '
            'tools/generate_proposals.py')
    for name in ('num_keys', 'num_boxes'):
        if name in meta and (not isinstance(meta[name], int)
                             or isinstance(meta[name], bool)
                             or meta[name] < 0):
            raise _bad(meta_file, f'gives {name} = {meta[name]!r}, not a '
                       'count')
    return meta


def _load(path: str, name: str) -> np.ndarray:
    file = osp.join(path, name + '.npy')
    try:
        return np.load(file, mmap_mode='r', allow_pickle=False)
    except FileNotFoundError:
        raise _bad(file, 'is missing')
    except (ValueError, OSError, EOFError) as e:
        raise _bad(file, f'is not a readable .npy array (truncated or '
                   f'another format: {str(e)[:60]})')


def _monotonic(arr: np.ndarray, last: int) -> bool:
    return len(arr) >= 1 and arr[0] == 0 and arr[-1] == last and \
        bool(np.all(arr[1:] >= arr[:-1]))


def load_arrays(path: str, meta: dict) -> Dict[str, np.ndarray]:
    """The store's arrays (memory-mapped) and ``keys`` (uint8), checked."""
    arrays = {name: _load(path, name) for name in ARRAYS}
    file = lambda name: osp.join(path, name + '.npy')  # noqa: E731
    for name, dtype in _DTYPES.items():
        if arrays[name].ndim != 1 or arrays[name].dtype != dtype:
            raise _bad(file(name), f'holds a {arrays[name].dtype} array of '
                       f'shape {arrays[name].shape}, not 1-D '
                       f'{np.dtype(dtype).name}')
    boxes = arrays['boxes']
    if boxes.ndim != 2 or boxes.shape[1] != 4 or \
            boxes.dtype not in (np.uint16, np.float32):
        raise _bad(file('boxes'), f'holds a {boxes.dtype} array of shape '
                   f'{boxes.shape}, not (M, 4) uint16 or float32')
    k = len(arrays['offsets']) - 1
    if k < 0 or not _monotonic(arrays['offsets'], len(boxes)):
        raise _bad(file('offsets'), f'is not a non-decreasing list from 0 '
                   f'to the {len(boxes)} boxes')
    if meta.get('num_keys', k) != k or \
            meta.get('num_boxes', len(boxes)) != len(boxes):
        raise _bad(osp.join(path, META_FILE), f'counts {meta.get("num_keys")}'
                   f' keys and {meta.get("num_boxes")} boxes, the arrays '
                   f'{k} and {len(boxes)}')
    for name in ('key_offsets', 'hashes', 'hash_order'):
        want = k + 1 if name == 'key_offsets' else k
        if len(arrays[name]) != want:
            raise _bad(file(name), f'has {len(arrays[name])} entries, not '
                       f'{want} (the store has {k} keys)')
    h = arrays['hashes']
    if k and not np.all(h[1:] >= h[:-1]):
        raise _bad(file('hashes'), 'is not sorted')
    order = arrays['hash_order']
    if k and (order.min() < 0 or order.max() >= k or
              not np.all(np.bincount(order, minlength=k) == 1)):
        raise _bad(file('hash_order'), f'is not a permutation of the {k} '
                   'entries')
    arrays['keys'] = _load_keys(path, arrays['key_offsets'])
    stats = osp.join(path, STATS + '.npy')
    if osp.lexists(stats):
        s = arrays[STATS] = _load(path, STATS)
        if s.shape != (k, 4) or s.dtype != np.int64:
            raise _bad(stats, f'holds a {s.dtype} array of shape {s.shape},'
                       f' not ({k}, 4) int64')
    return arrays


def _load_keys(path: str, key_offsets: np.ndarray) -> np.ndarray:
    kb = osp.join(path, KEYS_FILE)
    try:
        size = osp.getsize(kb)
        keys = (np.memmap(kb, np.uint8, 'r') if size else
                np.zeros(0, np.uint8))
    except (OSError, ValueError) as e:
        raise _bad(kb, f'cannot be read ({str(e)[:60]})')
    if not _monotonic(key_offsets, size) or \
            not np.all(key_offsets[1:] > key_offsets[:-1]):
        raise _bad(osp.join(path, 'key_offsets.npy'), 'does not split '
                   f'{KEYS_FILE} into non-empty keys')
    try:
        if len(keys) and keys.max() >= 0x80:  # not plain ASCII
            codecs.utf_8_decode(memoryview(keys), 'strict', True)
    except UnicodeDecodeError as e:
        raise _bad(kb, f'holds a key that is not valid UTF-8 (byte '
                   f'{e.start})')
    starts = keys[key_offsets[:-1]] if len(keys) else keys
    if np.any((starts & 0xC0) == 0x80):  # a key starts mid-character
        raise _bad(osp.join(path, 'key_offsets.npy'), 'splits a UTF-8 '
                   f'character of {KEYS_FILE}')
    return keys


def check_boxes(boxes: np.ndarray, path: str, i: int) -> np.ndarray:
    """``boxes`` of entry ``i`` when all its coordinates are finite."""
    if not np.isfinite(boxes).all():
        raise _bad(osp.join(path, 'boxes.npy'), f'holds a box of entry {i} '
                   'that is not finite (nan or inf)')
    return boxes


__all__ = ['load_meta', 'load_arrays', 'check_boxes']
