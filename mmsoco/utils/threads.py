"""One thread policy for every mmsoco process: threads = the cores this
process may use / the processes sharing them on this node, and OpenMP
threads that sleep, not spin, while they wait.

The cores are the CPUs in this process's affinity mask (``taskset``, Slurm's
binding), capped by a cgroup CPU quota (containers, ``--cpus``). A training
process shares them with the other training processes on this node
(``LOCAL_WORLD_SIZE`` from torchrun, ``SLURM_NTASKS_PER_NODE`` under srun);
a dataloader worker shares them with every training process and worker
(ranks x (1 + workers)), since workers only prepare the next batches and
mostly wait. Two settings override the arithmetic, in this order:
``MMSOCO_NUM_THREADS`` and an explicitly set ``OMP_NUM_THREADS``.

Why: torch's OpenMP threads spin-wait for each other by default; with more
threads than free cores (any job on a shared machine) a thread that lost
its core holds up the rest, which burn their cores waiting, and a training
iteration took ~50 s instead of ~8 s. :func:`passive_wait` sets
``OMP_WAIT_POLICY=PASSIVE`` and a short GNU OpenMP spin before torch
starts (unless the user set them), so a waiting thread soon gives its core
away; the main process can then keep every core it has when nothing else
runs.

What gets the number (:func:`apply_threads`): torch's intra-op and inter-op
pools, OpenCV and numba. In forked dataloader workers torch keeps
DataLoader's one thread (GNU OpenMP does not survive a fork of a process
that used it) and OpenCV is set in the child only, with the parent's pool
off at fork time (an OpenCV pool torn down in a forked child deadlocked the
proposals tool once). This module is applied by the entry points (training,
probe), never on ``import mmsoco``.
"""
import math
import os
import sys
from typing import Mapping, Optional, Tuple

ENV = 'MMSOCO_NUM_THREADS'
OMP_ENV = 'OMP_NUM_THREADS'
WAIT_ENV = 'OMP_WAIT_POLICY'
SPIN_ENV = 'GOMP_SPINCOUNT'  # GNU OpenMP (torch's): spins before sleeping
SPIN_COUNT = '3000'


class ThreadSettingError(ValueError):
    """A thread-count variable that is not a positive integer (one line)."""


def cgroup_cpu_limit(root: str = '/sys/fs/cgroup') -> Optional[float]:
    """The CPU quota of this process's cgroup in cores (None: no quota).

    cgroup v2 ``cpu.max`` ("max 100000" or "QUOTA PERIOD"), else v1
    ``cpu/cpu.cfs_quota_us`` over ``cpu.cfs_period_us`` (-1: none)."""
    try:
        with open(os.path.join(root, 'cpu.max')) as f:
            quota, period = f.read().split()[:2]
        return None if quota == 'max' else int(quota) / int(period)
    except (OSError, ValueError):
        pass
    try:
        with open(os.path.join(root, 'cpu', 'cpu.cfs_quota_us')) as f:
            quota = int(f.read())
        with open(os.path.join(root, 'cpu', 'cpu.cfs_period_us')) as f:
            period = int(f.read())
        return None if quota <= 0 or period <= 0 else quota / period
    except (OSError, ValueError):
        return None


def available_cores(cgroup_root: str = '/sys/fs/cgroup') -> int:
    """CPUs this process may run on: its affinity mask, capped by the
    cgroup quota (rounded up: a 1.5-core quota runs 2 threads well)."""
    try:
        cores = len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        cores = os.cpu_count() or 1
    quota = cgroup_cpu_limit(cgroup_root)
    if quota is not None:
        cores = min(cores, max(1, math.ceil(quota)))
    return max(1, cores)


def local_world_size(environ: Optional[Mapping[str, str]] = None) -> int:
    """Training processes on this node: torchrun's LOCAL_WORLD_SIZE, else
    Slurm's SLURM_NTASKS_PER_NODE (``2`` or ``2(x3)``), else 1."""
    environ = os.environ if environ is None else environ
    for name in ('LOCAL_WORLD_SIZE', 'SLURM_NTASKS_PER_NODE'):
        value = environ.get(name, '').split('(')[0]
        if value.isdigit() and int(value) > 0:
            return int(value)
    return 1


def _positive(environ: Mapping[str, str], name: str) -> Optional[int]:
    value = environ.get(name)
    if value is None or value.strip() == '':
        return None
    if not value.strip().isdigit() or int(value) < 1:
        raise ThreadSettingError(
            f'{name}={value!r} is not a positive integer: set it to the '
            f'threads each process may use (e.g. {name}=1) or unset it')
    return int(value)


def threads_per_process(processes: int, cores: Optional[int] = None,
                        environ: Optional[Mapping[str, str]] = None
                        ) -> Tuple[int, str]:
    """(threads, why) for one of ``processes`` processes sharing
    ``cores`` (default: :func:`available_cores`): MMSOCO_NUM_THREADS, else
    an explicit OMP_NUM_THREADS, else ``max(1, cores // processes)``."""
    environ = os.environ if environ is None else environ
    for name in (ENV, OMP_ENV):
        value = _positive(environ, name)
        if value is not None:
            return value, f'{name}={value}'
    cores = available_cores() if cores is None else cores
    processes = max(1, int(processes))
    return (max(1, cores // processes),
            f'{cores} cores / {processes} '
            f'process{"es" if processes > 1 else ""}')


def processes_per_node(num_workers: int,
                       environ: Optional[Mapping[str, str]] = None) -> int:
    """Processes sharing this node's cores: each training process and its
    dataloader workers."""
    return local_world_size(environ) * (1 + max(0, int(num_workers)))


def passive_wait(environ: Optional[dict] = None) -> bool:
    """Let waiting OpenMP threads sleep: ``OMP_WAIT_POLICY=PASSIVE``, and
    for GNU OpenMP (torch's on Linux) a short spin first,
    ``GOMP_SPINCOUNT=3000``, which wins back a quiet machine's speed and
    keeps a loaded one's (docs/performance.md); True when set here. Nothing
    is set when the user set either. OpenMP reads them once, when torch
    loads, so entry points call this first, before anything imports torch
    or mmengine (``import mmsoco`` alone loads neither, but applies its
    patches, which load torch, as soon as mmengine is loaded); once torch is
    loaded it changes nothing and sets nothing."""
    environ = os.environ if environ is None else environ
    if (any(environ.get(n, '').strip() for n in (WAIT_ENV, SPIN_ENV))
            or 'torch' in sys.modules):
        return False
    environ[WAIT_ENV] = 'PASSIVE'
    environ[SPIN_ENV] = SPIN_COUNT
    return True


def apply_threads(threads: int, opencv: bool = True,
                  torch_threads: bool = True) -> None:
    """Give this process ``threads`` threads in torch (intra- and inter-op),
    OpenCV (``opencv``) and numba: NUMBA_NUM_THREADS when numba is not yet
    imported, ``numba.set_num_threads`` (capped by it) when its pool runs."""
    if torch_threads:
        import torch
        torch.set_num_threads(threads)
        try:  # settable once, before any inter-op work
            torch.set_num_interop_threads(threads)
        except RuntimeError:
            pass
    if opencv:
        import cv2
        if cv2.getNumThreads() != threads:
            cv2.setNumThreads(threads)
    if 'numba' not in sys.modules:  # read when numba is imported
        os.environ.setdefault('NUMBA_NUM_THREADS', str(threads))
    elif _numba_pool_running():
        import numba
        numba.set_num_threads(min(threads, numba.config.NUMBA_NUM_THREADS))
    # numba imported, pool not started: starting it here (numba's OpenMP
    # layer in a forked worker) would risk what forked OpenMP risks; it
    # starts with NUMBA_NUM_THREADS threads if a parallel kernel ever runs


def _numba_pool_running() -> bool:
    parallel = sys.modules.get('numba.np.ufunc.parallel')
    return bool(getattr(parallel, '_is_initialized', False))


def apply_policy(processes: int = 1) -> str:
    """:func:`threads_per_process` applied to this process (torch, OpenCV,
    numba); returns one line saying what was chosen and why."""
    threads, why = threads_per_process(processes)
    apply_threads(threads)
    return f'threads: {threads} ({why}; set {ENV} to change)'
