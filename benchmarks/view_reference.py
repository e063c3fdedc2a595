"""The view figures docs/reference_differences.md compares with the SoCo
reference's data pipeline, measured on mmsoco's views.

    python benchmarks/view_reference.py [--images DIR] [--proposals STORE]
        [--count 80] [--draws 4] [--few 2] [--earlier]

On the first ``--count`` coco_tiny photos with their selective-search
proposals, ``--draws`` samples each (``SoCoMultiView`` with the configs'
views, jitter on, by default the reference's options; ``--earlier``: mmsoco's
earlier ones), it prints:

- SoCo* (224/224/192/112): the share of samples whose pair (1, 4) holds pair
  (1, 2)'s proposal ids, whose view-1 boxes equal pair (1, 2)'s, and whose
  view-4 flip equals view 2's;
- jitter (pair (1, 2) of the 224/224/112 views): the std of the left and
  right edge shifts over the box width in view 1's pixels, over the
  jittered rows, for a flipped and an unflipped view 1;
- padded rows: the share of padded view-1 rows identical to their
  proposal's first row, and cutout squares per cut view in pairs of two
  distinct proposals (``InBoxCutout``'s rows, p = 0.5), both with each
  image's proposals cut to its first ``--few`` (COCO photos rarely share
  fewer than K = 4 proposals between two views).
The store is made with mmsoco.proposals.generate_store on first use.
"""
import argparse
import glob
import os.path as osp

import numpy as np

from mmsoco.datasets.transforms import functional as F
from mmsoco.datasets.transforms.in_box_cutout import (boxes_of_view,
                                                      rows_to_cut)
from mmsoco.utils.coco_tiny import coco_tiny_root

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
EARLIER = dict(jitter_space='view', padded_jitter='redraw',
               downsample_pair='independent', downsample_flip='source')


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--images', default=osp.join(coco_tiny_root(),
                                                'train2017'))
    p.add_argument('--proposals',
                   default=osp.join(REPO, 'data', 'coco_tiny_train_proposals'))
    p.add_argument('--count', type=int, default=80)
    p.add_argument('--draws', type=int, default=4)
    p.add_argument('--few', type=int, default=2)
    p.add_argument('--earlier', action='store_true',
                   help="mmsoco's earlier options instead of the reference's")
    return p.parse_args()


def samples(args):
    from mmsoco.image_set import load_rgb
    from mmsoco.proposals import ProposalStore, generate_store
    if not osp.isfile(osp.join(args.proposals, 'meta.json')):
        print(f'making proposals for {args.images} in {args.proposals}')
        generate_store(args.images, args.proposals, workers=1)
    store = ProposalStore(args.proposals)
    paths = sorted(glob.glob(osp.join(args.images, '*.jpg')))[:args.count]
    for path in paths:
        yield load_rgb(path), np.asarray(store[osp.basename(path)],
                                         np.float32)


def jitter_shifts(out, props, flips_rows):
    ids = out['pair_ids'][0, 0]
    if (ids < 0).any():
        return
    crop, flip = out['crops'][0], out['flips'][0]
    h, w = crop[3], crop[2]
    plain = F.boxes_to_view(F.clip_boxes(props[ids], (0, 0, w, h)), crop,
                            224, flip)
    moved = out['pair_boxes'][0, 0]
    hit = np.abs(moved - plain).max(1) > 1e-3
    bw = plain[:, 2] - plain[:, 0]
    edge = ((np.minimum(moved, plain)[:, [0, 1]] < 0.01).any(1)
            | (np.maximum(moved, plain)[:, [2, 3]] > 223.99).any(1))
    for r in np.flatnonzero(hit):
        flips_rows[flip].append(((moved[r, 0] - plain[r, 0]) / bw[r],
                                 (moved[r, 2] - plain[r, 2]) / bw[r],
                                 edge[r]))


def padded_copies(out, same):
    for p in range(out['pair_ids'].shape[0]):
        ids, rows = out['pair_ids'][p, 0], out['pair_boxes'][p, 0]
        if (ids < 0).any():
            continue
        for k in range(len(ids)):
            first = int(np.flatnonzero(ids == ids[k])[0])
            if first != k:
                same.append(np.array_equal(rows[k], rows[first]))


def cutout_squares(out, rng, rows, squares):
    """Squares InBoxCutout(prob=0.5) cuts in views 2 and 3 of a sample,
    for the pairs holding two distinct proposals."""
    for v in (1, 2):
        ids = out['pair_ids'][v - 1, 1]
        cut = rows_to_cut(boxes_of_view(out['pair_boxes'], out['pair_ids'],
                                        v), rows)
        hits = int((rng.random(len(cut)) < 0.5).sum())
        if (ids >= 0).all() and len(set(ids.tolist())) == 2:
            squares.append(hits)


def main() -> None:
    args = parse_args()
    opts = EARLIER if args.earlier else {}
    rows = 'distinct' if args.earlier else 'all'
    rng = np.random.default_rng(0)
    star, flips_rows, same, squares = [], {False: [], True: []}, [], []
    n = 0
    for img, props in samples(args):
        for _ in range(args.draws):
            n += 1
            s = F.soco_views(img, props, rng, F.SOCO_STAR_VIEWS, **opts)
            ids, pb = s['pair_ids'], s['pair_boxes']
            star.append((np.array_equal(ids[2], ids[0]),
                         np.array_equal(pb[2, 0], pb[0, 0]),
                         s['flips'][3] == s['flips'][1]))
            out = F.soco_views(img, props, rng, F.SOCO_VIEWS, **opts)
            jitter_shifts(out, props, flips_rows)
            out = F.soco_views(img, props[:args.few], rng, F.SOCO_VIEWS,
                                **opts)
            padded_copies(out, same)
            cutout_squares(out, rng, rows, squares)
    star = np.array(star, float).mean(0)
    print(f'{n} samples ({args.count} images x {args.draws}), options: '
          f'{opts or "the reference"}, cutout rows={rows!r}')
    print(f'SoCo* pair (1, 4) reuses pair (1, 2) ids: {star[0]:.2f}; same '
          f'view-1 boxes: {star[1]:.2f}; view-4 flip = view-2 flip: '
          f'{star[2]:.2f}')
    for flip in (True, False):
        d = np.array(flips_rows[flip]).reshape(-1, 3)
        free = d[d[:, 2] == 0]
        print(f'jitter, {"flipped" if flip else "unflipped"} view 1: std of '
              f'edge shift / width, left/right: {d[:, 0].std():.3f}/'
              f'{d[:, 1].std():.3f} ({len(d)} rows), {free[:, 0].std():.3f}/'
              f'{free[:, 1].std():.3f} away from the image border '
              f'({len(free)} rows)')
    print(f'first {args.few} proposals per image: padded view-1 rows '
          f'identical to their proposal\'s row: {np.mean(same):.2f} of '
          f'{len(same)}; cutout squares per view with 2 proposals: '
          f'{np.mean(squares):.2f} ({len(squares)} views)')


if __name__ == '__main__':
    main()
