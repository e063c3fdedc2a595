"""Loading a checkpoint file without running code from it.

Every checkpoint mmsoco reads (``--resume``, ``load_from``,
``init_cfg=dict(type='Pretrained')``, the export's input and output check,
the probe, the transfer chain) goes through :func:`load_checkpoint_file`:
``torch.load(weights_only=True)``, with the few plain types an mmengine
checkpoint holds besides tensors allowed by name (its message hub's
``HistoryBuffer``, numpy arrays, scalars and dtypes). A pickle that names
any other callable is refused before anything in it runs, in one line that
names the type (:class:`CheckpointFileError`).
"""
import os.path as osp
import pickle
import zipfile
from typing import List, Tuple

import numpy as np
import torch

# HistoryBuffer's own statistics methods (more may be registered)
STATISTICS = ('min', 'max', 'current', 'mean')
# The legacy (pre zip) torch format starts with a pickled magic number.
_LEGACY_PREFIX = b'\x80\x02'


class CheckpointFileError(ValueError):
    """A checkpoint file that cannot be loaded safely (one line)."""


class CheckpointNotFoundError(CheckpointFileError, FileNotFoundError):
    """No file at the checkpoint's path."""


def _numpy_globals() -> List:
    """numpy's array / scalar reconstructors and every dtype class, under
    numpy 2's names and the numpy 1 names old checkpoints carry."""
    from numpy._core import multiarray
    out = [np.ndarray, np.dtype, multiarray._reconstruct, multiarray.scalar,
           (multiarray._reconstruct, 'numpy.core.multiarray._reconstruct'),
           (multiarray.scalar, 'numpy.core.multiarray.scalar')]
    for code in np.typecodes['All']:
        out.append(type(np.dtype(code)))
    return out


def _statistics_method(owner, name: str):
    """What a pickled ``HistoryBuffer`` asks ``getattr`` for: one of its
    own statistics methods (``min``, ``max``, ``current``, ``mean``, ...),
    and nothing else."""
    from mmengine.logging.history_buffer import HistoryBuffer
    names = set(STATISTICS) | set(HistoryBuffer._statistics_methods)
    if owner is HistoryBuffer and isinstance(name, str) and name in names:
        return getattr(HistoryBuffer, name)
    raise pickle.UnpicklingError(
        f'Unsupported global: getattr({getattr(owner, "__name__", owner)!r}'
        f', {name!r}) is only allowed for HistoryBuffer statistics')


def allowed_globals() -> List:
    """What a checkpoint may name besides torch's own safe types. mmengine's
    message hub pickles ``HistoryBuffer`` objects whose statistics methods
    are stored as ``getattr(HistoryBuffer, 'min')``: ``builtins.getattr``
    resolves to :func:`_statistics_method`, which gives those and refuses
    any other attribute."""
    from mmengine.logging.history_buffer import HistoryBuffer
    return [HistoryBuffer, (_statistics_method, 'builtins.getattr')] + \
        _numpy_globals()


def looks_like_checkpoint(path: str) -> bool:
    """A torch file (zip or legacy format), from its first bytes only."""
    try:
        if zipfile.is_zipfile(path):
            return True
        with open(path, 'rb') as f:
            return f.read(2) == _LEGACY_PREFIX
    except OSError:
        return False


def unsafe_types(path: str) -> Tuple[str, ...]:
    """The callables a torch file names that are not allowed."""
    allowed = set()
    for item in allowed_globals():
        if isinstance(item, tuple):
            allowed.add(item[1])
        else:
            allowed.add(f'{item.__module__}.{item.__qualname__}')
    try:
        names = torch.serialization.get_unsafe_globals_in_checkpoint(path)
    except Exception:  # legacy format, damaged file
        return ()
    return tuple(n for n in names if n not in allowed)


def load_checkpoint_file(path: str, map_location='cpu', mmap: bool = False):
    """``torch.load(path, weights_only=True)`` with mmengine's types
    allowed; :class:`CheckpointFileError` for a missing file, a file that is
    not a checkpoint, or one that needs a type that could run code."""
    path = osp.expanduser(path)
    if not osp.isfile(path):
        raise CheckpointNotFoundError(f'{path}: no such checkpoint file')
    if not looks_like_checkpoint(path):
        raise CheckpointFileError(
            f'{path} is not a PyTorch checkpoint (pass a .pth written by '
            'tools/train.py, e.g. work_dirs/<config>/iter_N.pth)')
    try:
        with torch.serialization.safe_globals(allowed_globals()):
            return torch.load(path, map_location=map_location,
                              weights_only=True, mmap=mmap)
    except pickle.UnpicklingError as e:
        names = unsafe_types(path)
        if names or 'Unsupported global' in str(e):
            what = ', '.join(names) or _unsupported(e)
            raise CheckpointFileError(
                f'{path} needs {what} to load, a type mmsoco does not '
                'load from a checkpoint because it could run code; load '
                'only checkpoints written by mmsoco / mmengine') from e
        raise CheckpointFileError(f'{path} is not a readable checkpoint: '
                                  f'{_first_line(e)}') from e
    except (RuntimeError, EOFError, OSError, ValueError) as e:
        raise CheckpointFileError(
            f'{path} is not a complete PyTorch checkpoint '
            f'({type(e).__name__}: {_first_line(e)})') from e


def _unsupported(e: BaseException) -> str:
    """What torch's refusal says is not allowed."""
    for line in str(e).splitlines():
        if 'Unsupported global:' in line:
            return line.split('Unsupported global:', 1)[1].strip()[:160]
    return _first_line(e)


def _first_line(e: BaseException) -> str:
    text = str(e).strip().splitlines()
    return text[0][:160] if text else type(e).__name__


__all__ = ['CheckpointFileError', 'CheckpointNotFoundError', 'allowed_globals', 'load_checkpoint_file',
           'looks_like_checkpoint', 'unsafe_types']
