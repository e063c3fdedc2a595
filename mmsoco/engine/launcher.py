"""Multi-process launchers of ``tools/train.py``: what each needs from its
launch tool, a rank that ends when its launcher dies, and the process group
torn down before the interpreter exits."""
import os
import signal
import threading
from typing import Mapping, Optional

from .train_errors import UsageError

LAUNCHERS = ('none', 'pytorch', 'slurm')

# What each multi-process launcher reads from the environment, and where
# that environment comes from.
LAUNCHER_ENV = {
    'pytorch': (('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'),
                'start it with tools/dist_train.sh CONFIG NPROC (torchrun)'),
    'slurm': (('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST'),
              'start it with tools/slurm_train.sh (srun)'),
}

# How often a rank looks whether its launcher is still there (seconds).
PARENT_POLL_S = 1.0


def check_launcher(launcher: str,
                   environ: Optional[Mapping[str, str]] = None) -> None:
    """A known launcher, and for a multi-process one the environment its
    launch tool sets (mmengine would fail later with a KeyError)."""
    if launcher not in LAUNCHERS:
        raise UsageError(f'unknown --launcher {launcher!r}: choose one of '
                         f'{", ".join(LAUNCHERS)}')
    check_launcher_env(launcher, environ)


def check_launcher_env(launcher: str,
                       environ: Optional[Mapping[str, str]] = None) -> None:
    """Say what is missing and how to start the run instead."""
    environ = os.environ if environ is None else environ
    if launcher not in LAUNCHER_ENV:
        return
    names, how = LAUNCHER_ENV[launcher]
    missing = [n for n in names if n not in environ]
    if missing:
        raise UsageError(
            f'--launcher {launcher} needs {", ".join(missing)} in the '
            f'environment, which is not set: {how}, or use --launcher none '
            'for one process')


def end_with_parent(poll_s: float = PARENT_POLL_S,
                    sig: int = signal.SIGKILL) -> threading.Thread:
    """End this process (``sig``) once its parent is gone.

    torchrun (tools/dist_train.sh) and slurmstepd (tools/slurm_train.sh)
    are the parents of the ranks they start. When the launcher is killed
    (``kill -9``) nobody stops the ranks: they would wait in gloo for peers
    or train on as orphans. A daemon thread compares ``os.getppid()`` with
    the parent at start and, when the process has been re-parented, sends
    ``sig`` to this process (SIGKILL by default: a rank blocked in a
    collective cannot run a Python signal handler). The kernel's
    parent-death signal is not used: it fires when the parent *thread* that
    started the rank ends, which launchers do not promise to keep alive.
    """
    parent = os.getppid()

    def watch():
        while True:
            if os.getppid() != parent:
                os.kill(os.getpid(), sig)
                return
            threading.Event().wait(poll_s)

    thread = threading.Thread(target=watch, name='end-with-launcher',
                              daemon=True)
    thread.start()
    return thread


def close_process_group() -> None:
    """Tear the process group down before the interpreter exits: gloo's
    threads otherwise race interpreter shutdown and can abort the process
    ("terminate called without an active exception") after training
    finished."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


__all__ = ['LAUNCHERS', 'LAUNCHER_ENV', 'check_launcher', 'check_launcher_env',
           'close_process_group', 'end_with_parent']
