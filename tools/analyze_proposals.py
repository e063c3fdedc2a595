"""Do the proposals fit your images? Statistics, recall and pictures of a
proposal store.

    python tools/analyze_proposals.py STORE [--ann COCO.json]
        [--filter NAME] [--image-root DIR] [--max-images 2000]
        [--show N --out DIR [--max-boxes 100] [--overwrite]]

Prints the kept boxes' size relative to their image (sqrt(wh / WH), the
measure of the filters), aspect and count per image; with --ann, the recall
of the JSON's boxes at IoU 0.5 and 0.7 (all non-crowd boxes, and those the
store's filter could keep), and, when most of them are outside the filter's
size range, the filter preset to regenerate the store with. --show N draws
N images with their proposals (and the GT boxes in green) as PNGs in --out.

A damaged or crafted store (truncated arrays, bad offsets, keys that are not
UTF-8, keys outside the image root such as absolute or ../ paths) stops the
tool with one line naming the file or key; no image outside the image root
is opened.

--filter judges the GT by another preset than the one the store was made
with; --image-root is where the images are when the store has moved (they
are read for drawing, and for the image sizes of a store that did not
record them).
"""
import argparse
import os
import os.path as osp
import sys


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description='box statistics, recall and pictures of a proposal '
        'store')
    p.add_argument('store', help='proposal store (tools/generate_proposals.py'
                   ' output)')
    p.add_argument('--ann', default=None,
                   help='COCO JSON of (some of) the images: recall and a '
                   'filter check')
    p.add_argument('--filter', default=None,
                   help='judge the GT by this filter preset (default: the '
                   'store\'s own)')
    p.add_argument('--image-root', default=None,
                   help='image folder (default: the one the store records)')
    p.add_argument('--max-images', type=int, default=2000,
                   help='describe the boxes of at most this many images, '
                   'spread over the store (default 2000; 0: all). Recall '
                   'always uses every annotated image')
    p.add_argument('--show', type=int, default=0, metavar='N',
                   help='draw N images with their proposals')
    p.add_argument('--out', default=None, help='folder for the pictures')
    p.add_argument('--max-boxes', type=int, default=100,
                   help='proposals drawn per image (a fixed random sample)')
    p.add_argument('--overwrite', action='store_true',
                   help='replace pictures already in --out')
    return p.parse_args(argv)


def fail(msg: str) -> int:
    print(f'error: {msg}', file=sys.stderr)
    return 2


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmsoco.image_set import ImageSetError
    from mmsoco.proposals import StoreError
    try:
        return analyze(args)
    except (StoreError, ImageSetError) as e:  # a damaged or crafted store
        return fail(str(e))


def analyze(args) -> int:
    if args.show < 0 or args.max_boxes < 1:
        return fail('--show must be >= 0 and --max-boxes >= 1')
    if args.show and not args.out:
        return fail('--show needs --out DIR for the pictures')
    if args.ann and not osp.isfile(args.ann):
        return fail(f'--ann {args.ann} not found')
    from mmsoco.proposals import ProposalStore
    from mmsoco.proposals.store import analysis as an
    from mmsoco.proposals.store.eval import load_gt
    try:
        store = ProposalStore(args.store)
        spec = an.store_filter(store, args.filter)
    except (OSError, ValueError, KeyError) as e:
        return fail(str(e).strip('"\''))
    gt = None
    if args.ann:
        try:
            gt = load_gt(args.ann)
        except (OSError, ValueError, KeyError, TypeError) as e:
            return fail(f'--ann {args.ann} is not a COCO JSON with images, '
                        f'annotations and boxes ({type(e).__name__}: '
                        f'{str(e)[:60]}); give an instances_*.json')

    indices = an.sample_indices(len(store), args.max_images)
    sizes, origin, bad = an.image_sizes(store, args.image_root, indices)
    if bad and len(bad) == len(indices):
        return fail(f'cannot read any image of {args.store} from {origin} '
                    f'(e.g. {bad[0][0]}: {bad[0][1]}); pass --image-root '
                    'with the folder the store was made from')
    stats = an.box_statistics(store, sizes, indices)
    sample = (f' (statistics of {len(indices)} of them, spread evenly; '
              '--max-images 0 for all)' if len(indices) < len(store) else '')
    print(f'store {args.store}: {len(store)} images{sample}, '
          f'{len(stats["rel_size"])} boxes, filter {store.meta.get("filter")}'
          f' ({an.describe_rules(an.store_filter(store).stages[0])}); image '
          f'sizes from {origin}')
    for key, reason in bad[:5]:
        print(f'  cannot read {key} ({reason}): its boxes are not counted')
    print('\n'.join(an.format_statistics(stats)))

    if gt is not None:
        table = an.recall_table(store, args.ann, spec, gt)
        if not table['keys']:
            return fail(f'none of the images of {args.ann} is in {args.store}'
                        ': give the annotations of the images the store was '
                        'made for')
        names = {n for n in gt if osp.basename(n) in
                 {osp.basename(k) for k in table['keys']}}
        print('\n'.join(an.format_gt_sizes(gt, names)))
        print('\n'.join(an.format_recall(table, args.ann, spec)))
        advice = an.filter_advice(gt, spec, names)
        if advice:
            print(f'warning: {advice}')

    if args.show:
        return draw_pictures(args, store, gt)
    return 0


def draw_pictures(args, store, gt) -> int:
    import cv2

    from mmsoco.image_set import BadImage, load_rgb, path_in_root
    from mmsoco.proposals.store import analysis as an
    from mmsoco.utils.atomic import atomic_file
    keys = list(store.keys())
    if gt is not None:  # images with GT first
        by_name = {osp.basename(n): b for n, (b, _) in gt.items()}
        keys = [k for k in keys if len(by_name.get(osp.basename(k), ()))] \
            or keys
    keys = an.pick_keys(keys, args.show)
    if osp.exists(args.out) and not osp.isdir(args.out):
        return fail(f'--out {args.out} is a file; give a folder')
    taken = [an.picture_name(k) for k in keys
             if osp.lexists(osp.join(args.out, an.picture_name(k)))]
    if taken and not args.overwrite:
        return fail(f'{osp.join(args.out, taken[0])} exists (and '
                    f'{len(taken) - 1} more); choose another --out or pass '
                    '--overwrite')
    root = args.image_root or store.meta.get('image_root', '')
    # every key inside the image root before anything is opened
    paths = [path_in_root(k, root, args.store) for k in keys]
    os.makedirs(args.out, exist_ok=True)
    written = 0
    for key, path in zip(keys, paths):
        try:
            rgb = load_rgb(path)
        except BadImage as e:
            print(f'  cannot draw {key}: {e} (is --image-root right?)')
            continue
        g = by_name.get(osp.basename(key)) if gt is not None else None
        img = an.draw(rgb, store[key], g, args.max_boxes)
        with atomic_file(osp.join(args.out, an.picture_name(key))) as tmp:
            if not cv2.imwrite(tmp, img):
                return fail(f'cannot write {tmp}')
        written += 1
    print(f'drew {written} images into {args.out} (proposals: thin '
          'coloured boxes' + (', GT: green' if gt is not None else '') + ')')
    return 0


if __name__ == '__main__':
    from mmsoco.utils.interrupt import exit_on_interrupt
    with exit_on_interrupt('the store is untouched; rerun the same command'):
        sys.exit(main())
