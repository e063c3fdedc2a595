"""Compute selective-search proposals into a memory-mapped ProposalStore.

    python tools/generate_proposals.py IMAGE_ROOT OUT_STORE [--workers N]
        [--filter ratio3size0308] [--image-root DIR] [--chunk-size 256]
        [--scale 300 --sigma 0.9 --min-size 100] [--neighbours NB]
        [--max-chunks N] [--keep-work-dir] [--overwrite]

IMAGE_ROOT is an image folder (flat or ImageNet-style class sub-folders,
searched recursively) or a text file with one image path per line (relative
to --image-root, default the list's folder). Keys in the store are the image
paths relative to the root, '/'-separated.

Kill it at any time and rerun the same command: finished chunks (kept in
OUT_STORE.work/) are not recomputed and the final store is identical to an
uninterrupted run. Resume is per chunk of --chunk-size images (default 256):
a kill loses at most the images already done in the chunk in progress plus
about 2 per worker computed ahead of it; a smaller --chunk-size resumes more
finely. Bad image files are listed in OUT_STORE/bad_files.txt.

Safety: OUT_STORE must not be the image root, contain it, or (for an image
folder) lie inside it, and if it exists it must be a proposal store or an
empty folder; otherwise the tool stops before any work and deletes nothing.
Rerunning a finished job with the same settings says so and returns at once;
with other settings (filter, parameters, image set) it stops: choose another
OUT_STORE or pass --overwrite to replace the store.
"""
import argparse
import os
import os.path as osp
import sys

sys.path.insert(0, osp.dirname(osp.dirname(osp.abspath(__file__))))


def parse_args(argv=None):
    from mmsoco.proposals.filters import FILTERS
    p = argparse.ArgumentParser(
        description='Selective-search proposals -> ProposalStore',
        epilog='Resume: rerun the same command; finished chunks are reused, '
        'so a kill loses at most one chunk in progress (< --chunk-size '
        'images) plus ~2 images per worker. A finished OUT_STORE with the '
        'same settings is left as it is; with other settings the tool stops '
        '(use another OUT_STORE or --overwrite). OUT_STORE may not overlap '
        'the image root, and an existing path that is not a proposal store '
        'is refused, never deleted.')
    p.add_argument('image_root', help='image folder, or a file list')
    p.add_argument('out_store', help='output store folder')
    p.add_argument('--workers', type=int, default=1,
                   help='worker processes (default 1)')
    p.add_argument('--filter', default='ratio3size0308',
                   choices=sorted(FILTERS), help='named filter rule set')
    p.add_argument('--image-root', dest='list_root', default=None,
                   help='root the paths of a file list are relative to')
    p.add_argument('--chunk-size', type=int, default=256,
                   help='images per resumable shard (default 256): the most '
                   'work a kill can lose per run')
    p.add_argument('--scale', type=float, default=300)
    p.add_argument('--sigma', type=float, default=0.9)
    p.add_argument('--min-size', type=int, default=100)
    p.add_argument('--neighbours', default='touch_or_overlap',
                   choices=['touch', 'overlap', 'touch_or_overlap'],
                   help='which initial regions may merge')
    p.add_argument('--max-chunks', type=int, default=None,
                   help='compute at most N new chunks, then stop (resume '
                   'later with the same command)')
    p.add_argument('--keep-work-dir', action='store_true',
                   help='keep OUT_STORE.work/ after the store is built')
    p.add_argument('--overwrite', action='store_true',
                   help='replace an existing proposal store (and discard an '
                   'unfinished run) made with different settings; other '
                   'files are never overwritten')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    from mmsoco.proposals import generate_store
    if args.workers < 1 or args.chunk_size < 1:
        print('error: --workers and --chunk-size must be >= 1',
              file=sys.stderr)
        return 2
    try:
        res = generate_store(
            args.image_root, args.out_store, workers=args.workers,
            filter=args.filter, image_root=args.list_root,
            chunk_size=args.chunk_size,
            scale=args.scale, sigma=args.sigma, min_size=args.min_size,
            neighbours=args.neighbours,
            max_chunks=args.max_chunks, keep_work_dir=args.keep_work_dir,
            overwrite=args.overwrite)
    except (FileNotFoundError, FileExistsError, ValueError, KeyError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    if res.path is None:
        print(f'stopped after {res.computed_chunks} new chunks; rerun the '
              'same command to continue', file=sys.stderr)
    return 0


if __name__ == '__main__':
    sys.exit(main())
