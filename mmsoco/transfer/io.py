"""Reading mmsoco checkpoints and writing exports (atomically)."""
import io
import os
import os.path as osp
import pickle
from typing import Mapping, Optional, Tuple

import torch

from mmsoco.utils.atomic import atomic_file
from mmsoco.utils.checkpoint_load import (CheckpointFileError,
                                          load_checkpoint_file)
from .convert import (EXPORT_META_KEY, FORMATS, Export, export_map_from_meta,
                      to_detectron2, to_mmdet)
from .errors import ExportError
from .legacy import model_type_from_meta


def read_checkpoint(path: str) -> Tuple[dict, dict]:
    """(state_dict, meta) of an mmengine checkpoint or a bare state dict."""
    if not osp.isfile(path):
        raise ExportError(f'{path}: no such file')
    try:
        ckpt = load_checkpoint_file(path)
    except CheckpointFileError as e:  # not a torch file, truncated, unsafe
        raise ExportError(str(e)) from e
    if not isinstance(ckpt, Mapping):
        raise ExportError(f'{path} holds a {type(ckpt).__name__}, not a '
                          'checkpoint dict')
    if 'state_dict' in ckpt and isinstance(ckpt['state_dict'], Mapping):
        return dict(ckpt['state_dict']), dict(ckpt.get('meta') or {})
    if ckpt and all(isinstance(v, torch.Tensor) for v in ckpt.values()):
        return dict(ckpt), {}
    raise ExportError(f'{path} has no state_dict (keys: '
                      f'{sorted(ckpt)[:8]}): not an mmengine checkpoint')


def is_export(meta: Mapping) -> bool:
    return EXPORT_META_KEY in (meta or {})


def load_export(path: str, want: Optional[str] = None,
                source: str = 'online') -> Export:
    """An export written by :func:`save_export`, or an mmsoco pretraining
    checkpoint converted on the fly."""
    state_dict, meta = read_checkpoint(path)
    if is_export(meta):
        info = meta[EXPORT_META_KEY]
        if want is not None and info['arch'] != want:
            raise ExportError(
                f'{path} is a {info["arch"].upper()} export, the model '
                f'needs {want.upper()} weights')
        return Export(arch=info['arch'], state_dict=state_dict,
                      modules=tuple(info['modules']),
                      source=info.get('source', 'online'),
                      model_type=info.get('model_type'),
                      export_map=info.get('export_map'),
                      map_from=info.get('map_from'))
    return _convert(state_dict, meta, path, source, want)


def export_checkpoint(path: str, want: Optional[str] = None,
                      source: str = 'online') -> Export:
    """Convert an mmsoco pretraining checkpoint (refuses exports)."""
    state_dict, meta = read_checkpoint(path)
    if is_export(meta):
        raise ExportError(f'{path} is already an export '
                          f'({meta[EXPORT_META_KEY]["arch"]}); pass the '
                          'pretraining checkpoint')
    return _convert(state_dict, meta, path, source, want)


def _convert(state_dict: dict, meta: dict, path: str, source: str,
             want: Optional[str]) -> Export:
    """The export map from the checkpoint's meta; without one (checkpoints
    written before maps existed) the legacy guess, named from the saved
    config's model type."""
    export_map = export_map_from_meta(meta, path)
    model_type = None if export_map else model_type_from_meta(meta)
    return to_mmdet(state_dict, source=source, want=want, name=path,
                    model_type=model_type, export_map=export_map)


def _atomic_write(path: str, write) -> None:
    """Serialise in memory, then write the bytes: a full disk is an
    OSError (torch.save into a file reports it as a RuntimeError)."""
    with io.BytesIO() as buffer:
        write(buffer)
        view = buffer.getbuffer()
        try:
            with atomic_file(path) as tmp, open(tmp, 'wb') as f:
                f.write(view)
        finally:
            view.release()


def _peek_checkpoint(path: str):
    """The top-level dict of a torch file, tensors memory-mapped (cheap
    even for a 200 MB checkpoint), loaded as weights only; None if it is not
    a torch file or needs more than a checkpoint may hold."""
    for mmap in (True, False):
        try:
            return load_checkpoint_file(path, mmap=mmap)
        except CheckpointFileError:
            continue
    return None


def training_checkpoint_info(path: str) -> Optional[str]:
    """'iteration N' (or 'epoch N') if ``path`` is an mmengine training
    checkpoint (state dict + optimizer / training meta), else None."""
    ckpt = _peek_checkpoint(path)
    if not isinstance(ckpt, Mapping) or 'state_dict' not in ckpt:
        return None
    meta = ckpt.get('meta') if isinstance(ckpt.get('meta'), Mapping) else {}
    if is_export(meta):
        return None
    if not ('optimizer' in ckpt or 'param_schedulers' in ckpt
            or 'iter' in meta or 'epoch' in meta):
        return None
    if meta.get('iter'):
        return f'iteration {meta["iter"]}'
    if meta.get('epoch'):
        return f'epoch {meta["epoch"]}'
    return 'its optimizer state'


def _suggest(out: str, fmt: str) -> str:
    stem = osp.splitext(osp.basename(out.rstrip(os.sep)))[0] or 'soco'
    name = f'{stem}_{"mmdet.pth" if fmt == "mmdet" else "d2.pkl"}'
    folder = out if osp.isdir(out) else osp.dirname(out)
    return osp.join(folder, name)


def check_export_target(out: str, source: Optional[str] = None,
                        fmt: str = 'mmdet') -> None:
    """Refuse, before any work, an output that would destroy the input or
    a training checkpoint, a folder, or a path under a file."""
    if osp.isdir(out):
        raise ExportError(f'output {out} is a folder: give a file name, '
                          f'e.g. {_suggest(out, fmt)}')
    if out.endswith(os.sep):
        raise ExportError(f'output {out} ends with {os.sep!r} (a folder '
                          'name): give a file name')
    parent = osp.dirname(osp.abspath(out))
    while not osp.exists(parent):
        parent = osp.dirname(parent)
    if not osp.isdir(parent):
        raise ExportError(f'cannot write {out}: {parent} is a file, not a '
                          'folder')
    if not os.access(parent, os.W_OK | os.X_OK):
        raise ExportError(f'cannot write {out}: no write permission in '
                          f'{parent}')
    if not osp.isfile(out):
        return
    if source is not None and osp.exists(source) and \
            osp.samefile(out, source):
        raise ExportError(f'output {out} is the input checkpoint: the '
                          'export would replace it; write it next to it, '
                          f'e.g. {_suggest(out, fmt)}')
    info = training_checkpoint_info(out)
    if info is not None:
        raise ExportError(f'output {out} is a training checkpoint (at '
                          f'{info}): the export would replace it; choose '
                          f'another name, e.g. {_suggest(out, fmt)}')


def save_export(export: Export, path: str, fmt: str = 'mmdet',
                source_path: Optional[str] = None) -> None:
    """Write ``export`` as an mmengine-style ``{'state_dict', 'meta'}``
    .pth (``mmdet``) or a detectron2 .pkl (``detectron2``), atomically."""
    if fmt not in FORMATS:
        raise ExportError(f'format must be one of {FORMATS}, got {fmt!r}')
    check_export_target(path, source_path, fmt)
    if fmt == 'mmdet':
        meta = {EXPORT_META_KEY: dict(export.meta(), from_file=source_path)}
        obj = dict(state_dict=export.state_dict, meta=meta)
        _atomic_write(path, lambda f: torch.save(obj, f))
    else:
        obj = to_detectron2(export)
        _atomic_write(path, lambda f: pickle.dump(obj, f, protocol=4))
