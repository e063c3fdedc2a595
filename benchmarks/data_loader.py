"""Samples per second out of the SoCo DataLoader, for N loader workers.

    python benchmarks/data_loader.py --images DIR --proposals STORE
        [--config configs/soco_r50_fpn.py] [--workers 8 16] [--batch 32]
        [--samples 2048] [--json FILE]

Builds the config's training dataset (SoCoDataset and its whole view
pipeline: decode, views with boxes, colour, cutout, packing) on the images
in DIR with the proposals in STORE, and a torch DataLoader over it as
tools/train.py would (pseudo_collate, pinned memory when CUDA is present),
drawing samples uniformly with replacement so that a small image folder
still gives SAMPLES samples. For each worker count it reports the time to
the first batch (worker start-up) and the throughput after it: the rate at
which views reach the training loop, to set against a GPU's images/s
(benchmarks/train_step.py). --json appends one JSON object per row.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

import torch

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--images', required=True, help='image folder')
    p.add_argument('--proposals', required=True,
                   help='proposal store of those images '
                   '(tools/generate_proposals.py)')
    p.add_argument('--config', default=osp.join(REPO, 'configs',
                                                'soco_r50_fpn.py'))
    p.add_argument('--workers', type=int, nargs='+', default=[8, 16])
    p.add_argument('--batch', type=int, default=32)
    p.add_argument('--samples', type=int, default=2048,
                   help='samples timed per worker count, after the first '
                   'batch')
    p.add_argument('--json', default=None,
                   help='append one JSON object per row to this file')
    return p.parse_args(argv)


def build_dataset(config: str, images: str, proposals: str):
    import mmsoco  # noqa: F401
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmsoco.registry import DATASETS
    cfg = Config.fromfile(config)
    init_default_scope(cfg.get('default_scope', 'mmsoco'))
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.update(data_root=images, proposals=proposals, ann_file='')
    ds_cfg.pop('build_demo', None)
    return DATASETS.build(ds_cfg)


def time_loader(dataset, workers: int, batch: int, samples: int) -> dict:
    from mmengine.dataset import pseudo_collate
    from torch.utils.data import DataLoader, RandomSampler
    batches = max(1, -(-samples // batch))
    sampler = RandomSampler(dataset, replacement=True,
                            num_samples=(batches + 1) * batch,
                            generator=torch.Generator().manual_seed(0))
    loader = DataLoader(dataset, batch_size=batch, sampler=sampler,
                        num_workers=workers, collate_fn=pseudo_collate,
                        pin_memory=torch.cuda.is_available(),
                        drop_last=True)
    start = time.perf_counter()
    it = iter(loader)
    next(it)  # workers started, first batch ready
    first = time.perf_counter() - start
    start = time.perf_counter()
    count = sum(len(b['data_samples']) for b in it)
    sec = time.perf_counter() - start
    return dict(check='data_loader', workers=workers, batch=batch,
                samples=count, first_batch_s=first, samples_per_s=count / sec)


def main(argv=None) -> int:
    args = parse_args(argv)
    for path in (args.images, args.proposals):
        if not osp.isdir(path):
            print(f'error: {path} is not a folder (--images: the image '
                  'folder; --proposals: its store from '
                  'tools/generate_proposals.py)', file=sys.stderr)
            return 2
    dataset = build_dataset(args.config, args.images, args.proposals)
    rows = [time_loader(dataset, w, args.batch, args.samples)
            for w in args.workers]
    print(f'\n{len(dataset)} images in {args.images}, config '
          f'{osp.relpath(args.config, REPO)}, batch {args.batch}, cpu: '
          f'{os.cpu_count()} cores, load average (1/5/15 min): '
          f'{" ".join(f"{x:.2f}" for x in os.getloadavg())}')
    print('| workers | first batch (s) | samples | samples/s |')
    print('|---|---|---|---|')
    for r in rows:
        print(f'| {r["workers"]} | {r["first_batch_s"]:.1f} | '
              f'{r["samples"]} | {r["samples_per_s"]:.1f} |')
    if args.json:
        with open(args.json, 'a') as f:
            for r in rows:
                f.write(json.dumps(dict(r, config=osp.relpath(
                    args.config, REPO), images=len(dataset))) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
