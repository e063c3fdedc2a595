"""Does a proposals store belong to these images, as they are now?

- :func:`make_store_command`: the exact ``tools/generate_proposals.py``
  command for an image set, always with its output path (quoted for the
  shell), with ``--overwrite`` only when asked (the store made for these
  images, now stale);
- :func:`suggest_store_path`: a new output path beside the image folder,
  for a dataset that has no store or points at another image set's store
  (which must not be overwritten);
- :func:`changed_images`: the store's recorded image stats (width, height,
  file size, mtime_ns per key) against the files. A different file size
  means the image changed (resized, re-encoded, replaced). A new mtime with
  the same size is what a copy (``cp``, ``rsync`` without ``-t``) gives, so
  the image's width and height are then read from its header (a few KB) for
  up to ``header_checks`` such files, and only a different size counts.
"""
import os
import os.path as osp
import shlex
from typing import List, Optional, Sequence, Tuple

import numpy as np

_SWAPPED_ORIENTATIONS = (5, 6, 7, 8)  # EXIF orientations that turn 90 deg


def make_store_command(data_root: str, store: str = '',
                       ann_file: Optional[str] = None,
                       overwrite: bool = False) -> str:
    """The command that makes the store of ``data_root`` (or of the list
    ``ann_file`` relative to it) at ``store`` (default: a new path beside
    the images)."""
    store = store or suggest_store_path(data_root, ann_file)
    if ann_file:
        args = [ann_file, store, '--image-root', data_root]
    else:
        args = [data_root, store]
    if overwrite:
        args.append('--overwrite')
    return 'python tools/generate_proposals.py ' + ' '.join(
        shlex.quote(a) for a in args)


def suggest_store_path(data_root: str, ann_file: Optional[str] = None,
                       avoid: Sequence[str] = ()) -> str:
    """``<data_root>_proposals`` (``_<list name>`` added for a list file),
    numbered ``_2``, ``_3``... past existing paths and ``avoid``."""
    base = data_root.rstrip('/\\') or '.'
    if ann_file:
        base += '_' + osp.splitext(osp.basename(ann_file))[0]
    base += '_proposals'
    avoid = {osp.abspath(a) for a in avoid if a}
    path, n = base, 1
    while osp.lexists(path) or osp.abspath(path) in avoid:
        n += 1
        path = f'{base}_{n}'
    return path


def stat_of(path: str) -> Optional[Tuple[int, int]]:
    """(file size, mtime_ns), or None when the file cannot be stat'ed."""
    try:
        st = os.stat(path)
    except OSError:
        return None
    return int(st.st_size), int(st.st_mtime_ns)


def header_size(path: str) -> Optional[Tuple[int, int]]:
    """(width, height) from the image header, after EXIF orientation (as the
    decoder applies it); None when the header cannot be read."""
    try:
        from PIL import Image
        with Image.open(path) as im:
            w, h = im.size
            try:
                orientation = im.getexif().get(0x0112, 1)
            except Exception:
                orientation = 1
    except Exception:
        return None
    return (h, w) if orientation in _SWAPPED_ORIENTATIONS else (w, h)


def check_positions(num: int, limit: Optional[int]) -> np.ndarray:
    """Which of ``num`` images to stat: all, or ``limit`` evenly spaced."""
    if limit is None or limit >= num:
        return np.arange(num)
    return np.unique(np.linspace(0, num - 1, max(int(limit), 1)).astype(
        np.int64))


def changed_images(paths: Sequence[str], recorded: np.ndarray,
                   header_checks: int = 32) -> Tuple[List[Tuple[int, str]],
                                                     int]:
    """Compare files with their recorded (width, height, size, mtime_ns).

    Returns ([(position, what changed)], number of files with a new mtime
    and the same size that were accepted). Files that cannot be stat'ed are
    left to the loader (they are replaced in training, and counted).
    """
    changed, same_size_new_time = [], []
    for n, (path, rec) in enumerate(zip(paths, recorded)):
        w, h, size, mtime = (int(v) for v in rec)
        now = stat_of(path)
        if now is None or size <= 0:
            continue
        if now[0] != size:
            changed.append((n, f'{w}x{h}, {size} bytes when the store was '
                            f'made, {now[0]} bytes now'))
        elif now[1] != mtime and w > 0 and h > 0:
            same_size_new_time.append(n)
    accepted = len(same_size_new_time)
    for n in same_size_new_time[:header_checks]:
        w, h = (int(v) for v in recorded[n][:2])
        dims = header_size(paths[n])
        if dims is not None and dims not in ((w, h), (h, w)):
            changed.append((n, f'{w}x{h} when the store was made, '
                            f'{dims[0]}x{dims[1]} now'))
            accepted -= 1
    return sorted(changed), accepted




def check_store_current(store, keys: Sequence[str], index: np.ndarray,
                        data_root: str, dataset: str, command: str,
                        limit: Optional[int] = None) -> None:
    """Refuse (DatasetMismatchError, one line) a store whose images changed
    since it was made; ``index[n]`` is the store entry of ``keys[n]`` (-1:
    not in the store). ``limit``: stat that many evenly spaced images
    instead of all. A store without recorded stats gets one warning."""
    from .errors import DatasetMismatchError
    if not store.has_image_stats:
        _warn(f'{dataset}: proposals store {store.path} records no image '
              'sizes (made by an older mmsoco), so whether its images '
              'changed since is not checked; to check it, remake it with: '
              f'{command}')
        return
    found = np.flatnonzero(np.asarray(index) >= 0)
    pos = found[check_positions(len(found), limit)]
    paths = [osp.join(data_root, keys[p]) for p in pos]
    recorded = (np.stack([store.image_stats_at(int(index[p])) for p in pos])
                if len(pos) else np.zeros((0, 4), np.int64))
    changed, copied = changed_images(paths, recorded)
    if changed:
        n, what = changed[0]
        raise DatasetMismatchError(
            f'{dataset}: proposals store {store.path} was made for these '
            f'images before they changed: {len(changed)} of {len(pos)} '
            f'checked images differ (e.g. {keys[pos[n]]!r}: {what}), so its '
            f'boxes no longer fit them; remake it with: {command}')
    if copied:
        _warn(f'{dataset}: {copied} image(s) have a new modification time '
              'but the file size (and, where checked, width and height) '
              'recorded in the proposals store: taken as copies, the store '
              'is used', level='INFO')


def _warn(message: str, level: str = 'WARNING') -> None:
    import logging

    from mmengine.logging import MMLogger, print_log
    print_log(message, logger=MMLogger.get_current_instance(),
              level=getattr(logging, level))


__all__ = ['make_store_command', 'suggest_store_path', 'changed_images',
           'check_store_current', 'check_positions', 'header_size',
           'stat_of']
