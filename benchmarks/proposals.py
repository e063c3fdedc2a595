"""Selective-search proposals: speed, recall and boxes per image.

    python benchmarks/proposals.py [--images ../shared/data/coco_tiny/val2017]
        [--ann .../annotations/instances_val2017.json] [--workers 1 2]
        [--limit N] [--neighbours touch_or_overlap]

For each worker count it runs ``generate_store`` on the folder and prints
seconds per image (wall clock / images, after the one-off numba compile) and
images per second. Recall is that of the filter-eligible ground-truth boxes
(non-crowd, w, h >= 32, aspect <= 3, 0.3 <= sqrt(wh / WH) <= 0.8) by a
stored proposal at IoU >= 0.5 (mmsoco/proposals/store/eval.py, shared with
tests/test_proposals/test_quality.py); boxes/img is the stored (filtered) count.
A per-stage profile on one core says where the time goes.
"""
import argparse
import os
import os.path as osp
import shutil
import tempfile
import time

os.environ.setdefault('OMP_NUM_THREADS', '1')

import numpy as np  # noqa: E402

from mmsoco.image_set import load_rgb  # noqa: E402
from mmsoco.proposals import (ProposalStore, filter_boxes,  # noqa: E402
                              generate_store)
from mmsoco.proposals import selective_search as ss  # noqa: E402
from mmsoco.proposals.store.eval import eligible_gt, recall  # noqa: E402
from mmsoco.utils.coco_tiny import coco_tiny_root  # noqa: E402

COCO = coco_tiny_root()


def profile(paths, neighbours):
    """Mean seconds per stage on this core."""
    from mmsoco.proposals.algorithm.search import (_adjacent_pairs,
                                                   _overlap_pairs,
                                                   _region_stats, felzenszwalb,
                                                   group)
    import cv2
    t = dict(decode=0., segment=0., features=0., neighbours=0., group=0.,
             filter=0.)
    for p in paths:
        t0 = time.perf_counter()
        rgb = load_rgb(p)
        t1 = time.perf_counter()
        labels, n = felzenszwalb(rgb)
        t2 = time.perf_counter()
        hsv = cv2.cvtColor(rgb, cv2.COLOR_RGB2HSV)
        sm = cv2.GaussianBlur(rgb.astype(np.float32), (7, 7), 1.0,
                              borderType=cv2.BORDER_REFLECT)
        size, box, hist = _region_stats(
            labels, n, hsv, cv2.Sobel(sm, cv2.CV_32F, 1, 0, ksize=1),
            cv2.Sobel(sm, cv2.CV_32F, 0, 1, ksize=1))
        t3 = time.perf_counter()
        pairs, big = _adjacent_pairs(labels)
        if neighbours != 'touch':
            ov = _overlap_pairs(box, big)
            pairs = ov if neighbours == 'overlap' else np.union1d(pairs, ov)
        t4 = time.perf_counter()
        boxes = group((size, box, hist, pairs // big, pairs % big),
                      rgb.shape[:2])
        t5 = time.perf_counter()
        filter_boxes(boxes, rgb.shape[1::-1])
        t6 = time.perf_counter()
        for k, a, b in (('decode', t0, t1), ('segment', t1, t2),
                        ('features', t2, t3), ('neighbours', t3, t4),
                        ('group', t4, t5), ('filter', t5, t6)):
            t[k] += b - a
    return {k: v / len(paths) for k, v in t.items()}


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--images', default=osp.join(COCO, 'val2017'))
    p.add_argument('--ann', default=osp.join(
        COCO, 'annotations', 'instances_val2017.json'))
    p.add_argument('--workers', type=int, nargs='+', default=[1, 2])
    p.add_argument('--limit', type=int, default=None,
                   help='use the first N images only')
    p.add_argument('--neighbours', default='touch_or_overlap')
    args = p.parse_args()

    names = sorted(f for f in os.listdir(args.images)
                   if f.lower().endswith(('.jpg', '.jpeg', '.png')))
    names = names[:args.limit] if args.limit else names
    paths = [osp.join(args.images, n) for n in names]
    ss(load_rgb(paths[0]))  # numba compile / cache load, not timed
    load0 = os.getloadavg()[0]
    gt = eligible_gt(args.ann)
    scratch = tempfile.mkdtemp(prefix='proposal-bench-')
    rows = []
    try:
        for run, w in enumerate(args.workers):
            # a fresh store per run: a finished one would be reused at once
            out = osp.join(scratch, f'run{run}_w{w}')
            t = time.perf_counter()
            # >= 4 chunks per worker, so that every worker stays busy
            chunk = max(1, min(16, len(paths) // (4 * w)))
            generate_store(paths, out, workers=w, image_root=args.images,
                           neighbours=args.neighbours, progress=False,
                           chunk_size=chunk)
            dt = time.perf_counter() - t
            store = ProposalStore(out)
            rec, tot, bpi = recall(store, gt, list(store.keys()))
            rows.append((w, dt / len(paths), len(paths) / dt, rec, tot, bpi))
        prof = profile(paths, args.neighbours)
    finally:
        shutil.rmtree(scratch, ignore_errors=True)
    print(f'{len(paths)} images from {args.images}, neighbours='
          f'{args.neighbours}, cores: {os.cpu_count()}, load average at '
          f'start/end: {load0:.1f}/{os.getloadavg()[0]:.1f}')
    print('| workers | s/img (wall) | img/s | recall@0.5 | GT boxes | '
          'boxes/img |')
    print('|---|---|---|---|---|---|')
    for w, spi, ips, rec, tot, bpi in rows:
        print(f'| {w} | {spi:.3f} | {ips:.1f} | {rec:.3f} | {tot} | '
              f'{bpi:.1f} |')
    print('\nper-stage time on one worker (ms/img): ' + ', '.join(
        f'{k} {v * 1e3:.1f}' for k, v in prof.items()) +
        f', total {sum(prof.values()) * 1e3:.1f}')


if __name__ == '__main__':
    main()
