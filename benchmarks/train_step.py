"""Seconds per SoCo training step, on the CPU or a GPU.

    python benchmarks/train_step.py [--config configs/soco_r50_fpn_demo.py]
        [--batch N] [--steps N] [--threads N] [--device cpu|cuda] [--amp]

One step = data preprocessing, the online and target forward passes over
all views and boxes, backward, the LARS update and the EMA target update:
what ``tools/train.py`` does per iteration, minus data loading. Inputs are
random uint8 views with random boxes in the data pipeline's packed format.
Prints a table over both pooling modes.
"""
import argparse
import copy
import os
import os.path as osp
import sys
import time

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
sys.path.insert(0, REPO)


def parse_args():
    parser = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    parser.add_argument('--config',
                        default=osp.join(REPO, 'configs',
                                         'soco_r50_fpn_demo.py'))
    parser.add_argument('--batch', type=int, default=None,
                        help='images per step (default: the config\'s)')
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


def main():
    args = parse_args()
    if args.threads:
        torch.set_num_threads(args.threads)
    import mmsoco  # noqa: F401
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.registry import init_default_scope
    from tests.soco_tiny import random_soco_batch
    MMLogger.get_instance('mmengine', log_level='WARNING')
    MMLogger.get_current_instance().setLevel('WARNING')
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmsoco'))
    batch_size = args.batch or cfg.train_dataloader.batch_size
    batch = random_soco_batch(batch=batch_size, sizes=tuple(args.views),
                              k=4, seed=0)
    device = args.device or ('cuda' if torch.cuda.is_available() else 'cpu')
    rows = []
    for mode in args.pool_modes:
        model, optim = build(cfg, mode, device, args.amp)
        sec = time_steps(model, optim, batch, args.steps, args.warmup,
                         device)
        rows.append((mode, batch_size, sec, batch_size / sec))
        del model, optim
    where = (torch.cuda.get_device_name() if device.startswith('cuda')
             else f'{torch.get_num_threads()} threads')
    print(f'\nconfig: {osp.relpath(args.config, REPO)}  views: '
          f'{"/".join(map(str, args.views))}  device: {device} ({where})'
          f'{"  amp fp16" if args.amp else ""}  torch {torch.__version__}  '
          f'cpu: {os.cpu_count()} cores  load average (1/5/15 min): '
          f'{" ".join(f"{x:.2f}" for x in os.getloadavg())}')
    print('| pool_mode | batch | s/step | images/s |')
    print('|---|---|---|---|')
    for mode, bs, sec, ips in rows:
        print(f'| {mode} | {bs} | {sec:.2f} | {ips:.2f} |')


if __name__ == '__main__':
    main()
