"""Resuming a run: which checkpoint ``--resume`` takes, and what to run to
continue an interrupted run."""
import os.path as osp
import shlex
from typing import Optional, Sequence

from mmsoco.utils.checkpoint_load import looks_like_checkpoint
from mmsoco.utils.atomic_checkpoints import latest_checkpoint
from .train_errors import UsageError


def set_resume(cfg, resume: Optional[str]) -> None:
    """``--resume`` (``'auto'``: the newest complete checkpoint of the work
    dir) or ``--resume PATH``, checked before anything is built."""
    if resume is None:
        return
    if resume == 'auto':
        cfg.resume, cfg.load_from = True, None
        return
    if not osp.isfile(resume):
        raise UsageError(f'--resume checkpoint {resume!r} not found')
    if not looks_like_checkpoint(resume):
        raise UsageError(
            f'--resume {resume!r} is not a checkpoint (not a PyTorch file): '
            'pass an iter_N.pth / epoch_N.pth of the work dir, or --resume '
            'alone for the newest one')
    cfg.resume, cfg.load_from = True, resume


def resume_source(cfg) -> Optional[str]:
    """The checkpoint this run resumes from (None: it starts afresh)."""
    if not cfg.get('resume'):
        return None
    return cfg.get('load_from') or latest_checkpoint(cfg.work_dir)


def _without_resume(argv: Sequence[str]) -> list:
    out, skip = [], False
    for i, arg in enumerate(argv):
        if skip:
            skip = False
            continue
        if arg == '--resume':  # drop it and its PATH, if any
            nxt = argv[i + 1] if i + 1 < len(argv) else ''
            skip = bool(nxt) and not nxt.startswith('-') and \
                osp.isfile(nxt)
            continue
        if arg.startswith('--resume='):
            continue
        out.append(arg)
    return out


def resume_advice(argv: Sequence[str], launcher: str, work_dir: str) -> str:
    """What to run to continue an interrupted run started with ``argv``."""
    command = shlex.join(['python', 'tools/train.py', *_without_resume(argv),
                          '--resume'])
    if launcher != 'none':  # started by dist_train.sh / slurm_train.sh
        script = ('tools/dist_train.sh' if launcher == 'pytorch' else
                  'tools/slurm_train.sh')
        command = f'{script} with the same arguments and --resume'
    checkpoint = latest_checkpoint(work_dir)
    if checkpoint is not None:
        return f'resume from {checkpoint} with: {command}'
    return (f'no checkpoint saved yet in {work_dir}; rerun the same '
            'command to start again')


__all__ = ['resume_advice', 'resume_source', 'set_resume']
