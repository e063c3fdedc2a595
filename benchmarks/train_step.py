"""Seconds per SoCo training step, on the CPU or a GPU.

    python benchmarks/train_step.py
        [--config configs/soco_r18_fpn_1xb4-12iter_demo.py]
        [--batch N [N ...]] [--steps N] [--threads N] [--device cpu|cuda]
        [--amp] [--pool-modes all_levels assigned_level] [--json FILE]

One step = data preprocessing, the online and target forward passes over
all views and boxes, backward, the LARS update and the EMA target update:
what ``tools/train.py`` does per iteration, minus data loading. Inputs are
random uint8 views with random boxes in the data pipeline's packed format.
Prints a table over the pooling modes and batch sizes: seconds per step,
images/s, and peak memory (on CUDA the peak of allocated GPU memory during
that row's steps; on the CPU the process's peak resident memory so far).
A batch that runs out of GPU memory gives an "out of memory" row. --json
appends one JSON object per row to FILE (tools/gpu_check.sh reads it).
"""
import argparse
import copy
import json
import os
import resource
import os.path as osp
import time

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config',
                        default=osp.join(REPO, 'configs',
                                         'soco_r18_fpn_1xb4-12iter_demo.py'))
    parser.add_argument('--batch', type=int, nargs='+', default=None,
                        help='images per step, one row per value (default: '
                        'the config\'s)')
    parser.add_argument('--views', type=int, nargs='+',
                        default=[224, 224, 112],
                        help='square view sizes (first = view 1)')
    parser.add_argument('--steps', type=int, default=5)
    parser.add_argument('--warmup', type=int, default=1)
    parser.add_argument('--threads', type=int, default=None)
    parser.add_argument('--device', default=None,
                        help='cpu or cuda (default: cuda when available)')
    parser.add_argument('--amp', action='store_true',
                        help='fp16 autocast with dynamic loss scaling '
                        '(AmpOptimWrapper, CUDA)')
    parser.add_argument('--pool-modes', nargs='+',
                        default=['all_levels', 'assigned_level'])
    parser.add_argument('--json', default=None,
                        help='append one JSON object per row to this file')
    return parser.parse_args()


def build(cfg, pool_mode: str, device: str, amp: bool):
    from mmsoco.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS
    model_cfg = copy.deepcopy(cfg.model)
    model_cfg['pool_mode'] = pool_mode
    torch.manual_seed(0)
    model = MODELS.build(model_cfg)
    model.init_weights()
    from mmengine.model import revert_sync_batchnorm
    model = revert_sync_batchnorm(model).to(device).train()
    wrapper_cfg = copy.deepcopy(cfg.optim_wrapper)
    if amp:
        wrapper_cfg.update(type='AmpOptimWrapper', loss_scale='dynamic')
    constructor = wrapper_cfg.pop('constructor',
                                  'DefaultOptimWrapperConstructor')
    optim = OPTIM_WRAPPER_CONSTRUCTORS.build(
        dict(type=constructor, optim_wrapper_cfg=wrapper_cfg))(model)
    return model, optim


def sync(device: str) -> None:
    if device.startswith('cuda'):
        torch.cuda.synchronize()


def time_steps(model, optim, batch, steps: int, warmup: int,
               device: str) -> float:
    total_iters = warmup + steps
    times = []
    for it in range(total_iters):
        sync(device)
        start = time.perf_counter()
        model.update_target(it, total_iters)
        model.train_step(copy.deepcopy(batch), optim)
        sync(device)
        times.append(time.perf_counter() - start)
    return sum(times[warmup:]) / steps


def peak_mib(device: str) -> float:
    if device.startswith('cuda'):
        return torch.cuda.max_memory_allocated() / 2**20
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_row(cfg, mode: str, batch_size: int, args, device: str) -> dict:
    """One table row: build, warm up, time; an OOM becomes a row."""
    from mmsoco.testing import random_soco_batch
    row = dict(check='train_step', pool_mode=mode, batch=batch_size,
               amp=args.amp, device=device)
    if device.startswith('cuda'):
        torch.cuda.empty_cache()
        torch.cuda.reset_peak_memory_stats()
    batch = random_soco_batch(batch=batch_size, sizes=tuple(args.views),
                              k=4, seed=0)
    try:
        model, optim = build(cfg, mode, device, args.amp)
        sec = time_steps(model, optim, batch, args.steps, args.warmup,
                         device)
        row.update(s_per_step=sec, images_per_s=batch_size / sec,
                   peak_mib=peak_mib(device))
    except torch.cuda.OutOfMemoryError:
        row.update(error='out of memory')
    return row


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    import mmsoco  # noqa: F401
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope
    MMLogger.get_instance('mmengine', log_level='WARNING')
    MMLogger.get_current_instance().setLevel('WARNING')
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmsoco'))
    batch_sizes = args.batch or [cfg.train_dataloader.batch_size]
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    rows = [run_row(cfg, mode, bs, args, device)
            for mode in args.pool_modes for bs in batch_sizes]
    where = (torch.cuda.get_device_name() if device.startswith('cuda')
             else f'{torch.get_num_threads()} threads')
    print(f'\nconfig: {osp.relpath(args.config, REPO)}  views: '
          f'{"/".join(map(str, args.views))}  device: {device} ({where})'
          f'{"  amp fp16" if args.amp else ""}  torch {torch.__version__}  '
          f'cpu: {os.cpu_count()} cores  load average (1/5/15 min): '
          f'{" ".join(f"{x:.2f}" for x in os.getloadavg())}')
    mem = 'peak GPU MiB' if device.startswith('cuda') else 'peak RSS MiB'
    print(f'| pool_mode | batch | s/step | images/s | {mem} |')
    print('|---|---|---|---|---|')
    for r in rows:
        if 'error' in r:
            print(f'| {r["pool_mode"]} | {r["batch"]} | {r["error"]} | | |')
        else:
            print(f'| {r["pool_mode"]} | {r["batch"]} | {r["s_per_step"]:.3f}'
                  f' | {r["images_per_s"]:.2f} | {r["peak_mib"]:.0f} |')
    if args.json:
        with open(args.json, 'a') as f:
            for r in rows:
                f.write(json.dumps(dict(r, config=osp.relpath(
                    args.config, REPO), views=args.views, where=where)) + '\n')


if __name__ == '__main__':
    main()
