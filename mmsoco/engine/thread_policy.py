"""The thread policy (:mod:`mmsoco.utils.threads`) applied to a training
config: the main process now, its dataloader workers when they start.

:func:`configure_threads` is called by the training entry before the Runner
is built. The main process gets cores / training processes on this node;
each dataloader starts its workers through :func:`thread_policy_worker_init`,
which seeds them exactly as mmengine's default worker_init_fn does and then
gives them cores / (training processes x (1 + workers)) for OpenCV and
numba (torch keeps DataLoader's one thread in a forked worker).
"""
import os
from typing import Optional

from mmsoco.registry import FUNCTIONS
from mmsoco.utils.threads import (apply_threads, local_world_size,
                                  processes_per_node, threads_per_process)

DATALOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')


@FUNCTIONS.register_module()
def thread_policy_worker_init(worker_id: int, threads: int,
                              num_workers: int, seed: Optional[int],
                              diff_rank_seed: bool = False,
                              disable_subprocess_warning: bool = False
                              ) -> None:
    """A dataloader worker's start: mmengine's seeding (the Runner's seed,
    plus the rank when ``diff_rank_seed``), then ``threads`` threads for
    OpenCV and numba."""
    from mmengine.dataset import worker_init_fn
    from mmengine.dist import get_rank
    rank = get_rank()
    if seed is not None:
        worker_init_fn(worker_id, num_workers, rank,
                       seed + rank if diff_rank_seed else seed,
                       disable_subprocess_warning)
    apply_threads(threads, torch_threads=False)


def configure_threads(cfg) -> str:
    """Apply the policy to this process and to ``cfg``'s dataloader
    workers; returns one line saying what was chosen and why."""
    train = cfg.get('train_dataloader') or {}
    workers = int(train.get('num_workers', 0) or 0)
    ranks = local_world_size()
    main, why = threads_per_process(ranks)
    threads, _ = threads_per_process(processes_per_node(workers))
    # the main process runs the views itself only without workers; with
    # workers its OpenCV pool stays off, so forked workers inherit none
    apply_threads(main, opencv=workers == 0)
    env = dict(cfg.get('env_cfg') or {})
    env['mp_cfg'] = dict(env.get('mp_cfg') or {},
                         opencv_num_threads=main if workers == 0 else 0)
    cfg['env_cfg'] = env  # mmengine applies it in the Runner's setup
    randomness = cfg.get('randomness') or {}
    seed = randomness.get('seed')
    for name in DATALOADERS:
        loader = cfg.get(name)
        if (not isinstance(loader, dict) or not loader.get('num_workers')
                or 'worker_init_fn' in loader or seed is None):
            continue  # a config's own worker_init_fn is left alone
        loader['worker_init_fn'] = dict(
            type='mmsoco.thread_policy_worker_init', threads=threads,
            num_workers=loader['num_workers'], seed=seed,
            diff_rank_seed=bool(randomness.get('diff_rank_seed', False)),
            disable_subprocess_warning=loader.pop(
                'disable_subprocess_warning', False))
    wait = os.environ.get('OMP_WAIT_POLICY', 'default').lower()
    if os.environ.get('GOMP_SPINCOUNT'):
        wait += f" after {os.environ['GOMP_SPINCOUNT']} spins"
    if workers == 0:
        share = f'threads: {main} ({why})'
    else:
        share = (f'threads: {main} in the main process ({why}), {threads} in '
                 f'each of its {workers} dataloader workers')
    return (f'{share}; OpenMP wait {wait}; set MMSOCO_NUM_THREADS '
            'to change')
