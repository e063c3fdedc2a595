"""Throughput of SoCo's full view pipeline on one core.

    python benchmarks/view_pipeline.py [--images DIR] [--proposals STORE]
        [--samples 400] [--repeats 3] [--clock wall|cpu]

Runs the pipelines of configs/_base_/datasets/*.py (views, boxes, BYOL
colour, cutout, packing) on coco_tiny photos with their selective-search
proposals, with the images already decoded in memory ("no decode") and from
the JPEG files ("with decode"), OpenCV and torch pinned to one thread, and
prints ms / sample and samples / s per core (best of --repeats). The store
is made with mmsoco.proposals.generate_store on first use.
The reference SoCo pipeline costs ~17.8 ms / sample before decode.
"""
import argparse
import copy
import os
import os.path as osp
import time

os.environ.setdefault('OMP_NUM_THREADS', '1')

import cv2  # noqa: E402
import torch  # noqa: E402
from mmengine.config import Config  # noqa: E402
from mmengine.dataset import Compose  # noqa: E402
from mmengine.registry import init_default_scope  # noqa: E402

from mmsoco.utils.coco_tiny import coco_tiny_root  # noqa: E402

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
COCO_TINY = osp.join(coco_tiny_root(), 'train2017')
CONFIGS = [('SoCo 224/224/112 + cutout', 'soco_imagenet.py', {}),
           ('SoCo, view 3 = view 2 downsampled', 'soco_imagenet.py',
            dict(view3_mode='downsample')),
           ('SoCo* 224/224/192/112', 'soco-star_imagenet.py', {}),
           ('SoCo-C4 224/224 + cutout', 'soco-c4_imagenet.py', {}),
           ('SoCo, interpolation=linear', 'soco_imagenet.py',
            dict(interpolation='linear')),
           ('SoCo, box_clip=overlap, padding=shared', 'soco_imagenet.py',
            dict(box_clip='overlap', padding='shared'))]


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--images', default=COCO_TINY)
    p.add_argument('--proposals',
                   default=osp.join(REPO, 'data', 'coco_tiny_train_proposals'))
    p.add_argument('--samples', type=int, default=400)
    p.add_argument('--repeats', type=int, default=3)
    p.add_argument('--clock', choices=('wall', 'cpu'), default='wall',
                   help="'cpu': this process's CPU time, which a machine "
                   'shared with other jobs inflates far less than wall time')
    return p.parse_args()


def load_store(images: str, path: str):
    from mmsoco.proposals import ProposalStore, generate_store
    if not osp.isfile(osp.join(path, 'meta.json')):
        print(f'making proposals for {images} in {path} (once)')
        generate_store(images, path, workers=1)
    return ProposalStore(path)


def pipelines(name: str, views_kw: dict):
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets',
                                   name))
    steps = copy.deepcopy(cfg.train_dataloader.dataset.pipeline)
    for s in steps:
        if s['type'] == 'SoCoMultiView':
            s.update(views_kw)
    assert steps[0]['type'] == 'LoadImageRGB'
    return Compose(steps), Compose(steps[1:])


def best_ms(fn, items, samples: int, repeats: int,
            clock=time.perf_counter) -> float:
    best = float('inf')
    for _ in range(repeats):
        t = clock()
        for i in range(samples):
            fn(dict(items[i % len(items)]))
        best = min(best, (clock() - t) / samples * 1e3)
    return best


def main() -> None:
    args = parse_args()
    cv2.setNumThreads(1)
    torch.set_num_threads(1)
    init_default_scope('mmsoco')
    import mmsoco.datasets.transforms  # noqa: F401  (registers them)
    from mmsoco.image_set import load_rgb
    store = load_store(args.images, args.proposals)
    keys = sorted(store.keys())
    files = [dict(img_path=osp.join(args.images, k), proposals=store[k])
             for k in keys]
    decoded = [dict(f, img=load_rgb(f['img_path'])) for f in files]
    n_boxes = sum(len(f['proposals']) for f in files) / len(files)
    clock = time.perf_counter if args.clock == 'wall' else time.process_time
    print(f'{len(files)} images from {args.images}, {n_boxes:.1f} proposals'
          f' / image, {args.samples} samples x best of {args.repeats}, '
          f'{args.clock} clock, one thread (cv2 + torch), load average '
          f'{os.getloadavg()[0]:.2f} on {os.cpu_count()} cores')
    decode_ms = best_ms(lambda r: load_rgb(r['img_path']), files,
                        args.samples, args.repeats, clock)
    rows = []
    for label, name, kw in CONFIGS:
        full, views_only = pipelines(name, kw)
        no_dec = best_ms(views_only, decoded, args.samples, args.repeats,
                         clock)
        with_dec = best_ms(full, files, args.samples, args.repeats, clock)
        rows.append((label, no_dec, with_dec))
    head = (f'| {"pipeline":40s} | ms/sample no decode | samples/s/core '
            f'| ms/sample with decode | samples/s/core |')
    print(head)
    print('|' + '|'.join('-' * (len(c) + 0) for c in head.split('|')[1:-1])
          + '|')
    for label, a, b in rows:
        print(f'| {label:40s} | {a:19.2f} | {1e3 / a:14.0f} | {b:21.2f} | '
              f'{1e3 / b:14.0f} |')
    print(f'(JPEG decode alone: {decode_ms:.2f} ms / image; reference '
          'pipeline ~17.8 ms / sample before decode, goal <= 4.5 ms)')


if __name__ == '__main__':
    main()
