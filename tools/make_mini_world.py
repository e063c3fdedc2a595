"""Write a mini detection world: real object photos with alpha masks
(Debian's tuxpaint stamps) pasted onto real background photos, as a
COCO-format data set with exact boxes and masks.

    python tools/make_mini_world.py OUT [--seed 0] [--images 2000]
        [--train 300] [--val 300] [--size 128] [--objects 2 5]
        [--obj-size 24 64] [--backgrounds DIR] [--stamps DIR]
        [--preview PNG]

OUT gets unlabeled/ (pretraining images), train/ and val/ (labelled),
annotations/{unlabeled,train,val}.json and world.json (every setting).
The same arguments give the same world, byte for byte. Needs
`apt-get install tuxpaint-stamps-default`. Guide: docs/mini_world.md.
"""
import argparse
import json
import os.path as osp
import sys


def parse_args(argv=None):
    from mmsoco.utils.coco_tiny import coco_tiny_root
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('out', help='output folder')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--images', type=int, default=2000,
                   help='unlabeled (pretraining) images')
    p.add_argument('--train', type=int, default=300,
                   help='labelled training images')
    p.add_argument('--val', type=int, default=300,
                   help='labelled validation images')
    p.add_argument('--size', type=int, default=128, help='image side (px)')
    p.add_argument('--objects', type=int, nargs=2, default=[2, 5],
                   metavar=('MIN', 'MAX'), help='objects per image')
    p.add_argument('--obj-size', type=float, nargs=2, default=[24., 64.],
                   metavar=('MIN', 'MAX'),
                   help='object size, sqrt(area) in px (log-uniform)')
    p.add_argument('--backgrounds', default=coco_tiny_root(),
                   help='folder of background photos (default: coco_tiny)')
    p.add_argument('--preview', metavar='PNG',
                   help='also draw samples of each split into PNG')
    p.add_argument('--stamps', default=None,
                   help='stamp tree (default: the Debian package\'s)')
    return p.parse_args(argv)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmsoco.datasets.mini_world import (STAMPS_ROOT, CompositeSettings,
                                            StampsMissingError,
                                            WorldInputError, draw_samples,
                                            make_world, world_plan)
    bad = [(k, v) for k, v in (('--images', args.images),
                               ('--train', args.train), ('--val', args.val))
           if v < 1]
    if bad or args.size < 32 or not 1 <= args.objects[0] <= args.objects[1] \
            or not 2 <= args.obj_size[0] <= args.obj_size[1]:
        print('error: --images/--train/--val need >= 1, --size >= 32, '
              '--objects 1 <= MIN <= MAX, --obj-size 2 <= MIN <= MAX',
              file=sys.stderr)
        return 2
    settings = CompositeSettings(size=args.size,
                                 objects=tuple(args.objects),
                                 obj_size=tuple(args.obj_size))
    counts = dict(unlabeled=args.images, train=args.train, val=args.val)
    stamps = args.stamps or STAMPS_ROOT
    try:
        plan = world_plan(args.seed, args.backgrounds, stamps, counts,
                          settings)
        done = osp.join(args.out, 'world.json')
        if osp.isfile(done):
            with open(done) as f:
                old = json.load(f)
            old.pop('instances', None)
            if old == json.loads(json.dumps(plan)):  # tuples as JSON lists
                print(f'{args.out}: this world is already complete')
                if args.preview:
                    draw_samples(args.out, args.preview)
                return 0
            print(f'error: {args.out} holds a different world (world.json); '
                  'give another OUT or remove it', file=sys.stderr)
            return 2

        def progress(split, i, n):
            if i == n or i % 500 == 0:
                print(f'{split}: {i}/{n} images', flush=True)

        plan = make_world(args.out, args.seed, args.backgrounds, stamps,
                          counts, settings, progress=progress)
    except (StampsMissingError, WorldInputError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    if args.preview:
        draw_samples(args.out, args.preview)
    print(f'mini world in {args.out}: ' + ', '.join(
        f'{s} {plan["counts"][s]} images / {n} objects'
        for s, n in plan['instances'].items())
        + f'; {len(plan["categories"])} categories')
    return 0


if __name__ == '__main__':
    from mmsoco.utils.interrupt import exit_on_interrupt
    with exit_on_interrupt('rerun the same command (images are rewritten '
                           'identically)'):
        sys.exit(main())
