"""Training checkpoints that survive a kill at any moment.

:func:`install` (called by ``mmsoco.compat.apply_all`` when mmsoco is
imported) puts three rules into mmengine's Runner and CheckpointHook, so
they hold for every config, whichever runtime it inherits:

1. A checkpoint on a local disk is written to a temporary name beside it
   (``mmsoco.utils.atomic``), fsynced and renamed: a file under its final
   name is always complete.
2. ``CheckpointHook`` writes the new checkpoint, then ``last_checkpoint``
   (atomically), and only then removes the checkpoint that fell out of
   ``max_keep_ckpts``; temporary files left by a killed run are removed when
   the next run starts.
3. ``--resume`` without a path (``resume=True``) takes the checkpoint
   ``last_checkpoint`` names if it is complete, else the newest complete
   ``epoch_N.pth`` / ``iter_N.pth`` in the work dir.

A kill at any point therefore leaves the newest complete checkpoint and a
``last_checkpoint`` that names a complete file (at worst one older
checkpoint more than ``max_keep_ckpts`` stays on disk).
"""
import importlib
import io
import os
import os.path as osp
import re
from typing import Optional

import torch

from mmsoco.utils.atomic import atomic_file, atomic_write, is_stale_temp
from mmsoco.utils.checkpoint_load import looks_like_checkpoint

_STEP_FILE = re.compile(r'^(?:epoch|iter)_(\d+)\.pth$')
_ORIGINAL = {}


def _is_local(path) -> bool:
    return '://' not in str(path)


def save_checkpoint(checkpoint, filename, file_client_args=None,
                    backend_args=None) -> None:
    """mmengine's ``save_checkpoint``, atomic for local files."""
    if not _is_local(filename) or file_client_args or backend_args:
        return _ORIGINAL['save_checkpoint'](
            checkpoint, filename, file_client_args=file_client_args,
            backend_args=backend_args)
    with io.BytesIO() as buffer:  # as mmengine: serialise, then write
        torch.save(checkpoint, buffer)
        view = buffer.getbuffer()
        try:
            with atomic_file(filename) as tmp:
                write_bytes(tmp, view)
        finally:
            view.release()


def write_bytes(path: str, data) -> None:
    """Write ``data`` to a new file (a disk-full error is an OSError)."""
    with open(path, 'wb') as f:
        f.write(data)


def is_complete(path: str) -> bool:
    """A checkpoint file that is there and whole (a zip whose central
    directory, written last, is readable)."""
    return osp.isfile(path) and looks_like_checkpoint(path)


def _step(path: str) -> Optional[int]:
    match = _STEP_FILE.match(osp.basename(path))
    return int(match.group(1)) if match else None


def latest_checkpoint(work_dir: str) -> Optional[str]:
    """What ``resume=True`` resumes from: the newest complete checkpoint,
    i.e. the file ``last_checkpoint`` names unless a complete
    ``epoch_N.pth`` / ``iter_N.pth`` of a later step lies beside it (a run
    killed between renaming a checkpoint and rewriting
    ``last_checkpoint``); None when there is no complete checkpoint."""
    named = None
    record = osp.join(work_dir, 'last_checkpoint')
    if osp.isfile(record):
        with open(record) as f:
            named = f.read().strip() or None
        if named is not None and not is_complete(named):
            named = None
    folder = osp.dirname(named) if named else work_dir
    steps = []
    if osp.isdir(folder):
        for name in os.listdir(folder):
            step = _step(name)
            if step is not None and is_complete(osp.join(folder, name)):
                steps.append((step, osp.join(folder, name)))
    newest = max(steps) if steps else None
    if named is not None:
        named_step = _step(named)
        if newest is None or named_step is None or named_step >= newest[0]:
            return named
    return newest[1] if newest else None


def remove_stale_temps(folder: str) -> None:
    """Delete temporary files (``mmsoco.utils.atomic``) whose writer was
    killed."""
    if not osp.isdir(folder):
        return
    for name in os.listdir(folder):
        if is_stale_temp(name):
            try:
                os.remove(osp.join(folder, name))
            except FileNotFoundError:
                pass


def _remove(hook, step) -> None:
    path = hook.file_backend.join_path(hook.out_dir,
                                       hook.filename_tmpl.format(step))
    if hook.file_backend.isfile(path):
        hook.file_backend.remove(path)
    elif hook.file_backend.isdir(path):  # deepspeed saves folders
        hook.file_backend.rmtree(path)


def save_checkpoint_with_step(hook, runner, step, meta) -> None:
    """``CheckpointHook._save_checkpoint_with_step``: new checkpoint, then
    ``last_checkpoint``, then the removal of the one no longer kept."""
    from mmengine.dist import is_main_process
    dropped = None
    if hook.max_keep_ckpts > 0 and not (
            hook.keep_ckpt_ids and hook.keep_ckpt_ids[-1] == step):
        if len(hook.keep_ckpt_ids) == hook.max_keep_ckpts:
            dropped = hook.keep_ckpt_ids.popleft()
        hook.keep_ckpt_ids.append(step)
        runner.message_hub.update_info('keep_ckpt_ids',
                                       list(hook.keep_ckpt_ids))
    filename = hook.filename_tmpl.format(step)
    hook.last_ckpt = hook.file_backend.join_path(hook.out_dir, filename)
    runner.message_hub.update_info('last_ckpt', hook.last_ckpt)
    if is_main_process() and _is_local(hook.out_dir):
        remove_stale_temps(hook.out_dir)
    runner.save_checkpoint(
        hook.out_dir, filename, hook.file_client_args,
        save_optimizer=hook.save_optimizer,
        save_param_scheduler=hook.save_param_scheduler, meta=meta,
        by_epoch=hook.by_epoch, backend_args=hook.backend_args, **hook.args)
    if not is_main_process():
        return
    atomic_write(osp.join(runner.work_dir, 'last_checkpoint'),
                 str(hook.last_ckpt))
    if dropped is not None and dropped != step:
        _remove(hook, dropped)


def install() -> None:
    """Put the rules above into mmengine (idempotent)."""
    if _ORIGINAL:
        return
    from mmengine.hooks import CheckpointHook
    checkpoint_module = importlib.import_module('mmengine.runner.checkpoint')
    runner_module = importlib.import_module('mmengine.runner.runner')
    runner_package = importlib.import_module('mmengine.runner')
    _ORIGINAL['save_checkpoint'] = checkpoint_module.save_checkpoint
    for module in (checkpoint_module, runner_module, runner_package):
        module.save_checkpoint = save_checkpoint
        module.find_latest_checkpoint = latest_checkpoint
    CheckpointHook._save_checkpoint_with_step = save_checkpoint_with_step


__all__ = ['install', 'is_complete', 'latest_checkpoint',
           'remove_stale_temps', 'save_checkpoint', 'write_bytes',
           'save_checkpoint_with_step']
