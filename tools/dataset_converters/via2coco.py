"""VIA 2.x annotations (project or "export as JSON", e.g. mmdet's balloon
tutorial) -> COCO JSON with boxes and polygons.

    python tools/dataset_converters/via2coco.py VIA_JSON OUT_JSON
        [--image-root DIR] [--class-attribute NAME] [--default-class NAME]
        [--classes A B ...] [--overwrite]

Images are looked up in --image-root (default: the VIA file's folder) and
decoded once for their size. See mmsoco/datasets/converters/via.py.
"""
import argparse
import sys


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description='VIA 2.x JSON -> COCO JSON')
    p.add_argument('via_json')
    p.add_argument('out_json')
    p.add_argument('--image-root', default=None,
                   help='image folder (default: the VIA file\'s folder)')
    p.add_argument('--class-attribute', default=None,
                   help='region attribute holding the class (default: the '
                   'one attribute the regions use)')
    p.add_argument('--default-class', default='object',
                   help='class of regions without one (default: object)')
    p.add_argument('--classes', nargs='+', default=None,
                   help='the class list in category-id order (default: the '
                   'classes found, sorted)')
    p.add_argument('--overwrite', action='store_true',
                   help='replace an existing OUT_JSON')
    args = p.parse_args(argv)
    from mmsoco.datasets.converters import (VIA, convert_via,
                                           run_converter)
    return run_converter(
        lambda: convert_via(args.via_json, args.image_root,
                            args.class_attribute, args.default_class,
                            args.classes),
        args.out_json, args.overwrite, f'VIA {args.via_json}',
        source=args.via_json, expected=VIA)


if __name__ == '__main__':
    from mmsoco.utils.interrupt import exit_on_interrupt
    with exit_on_interrupt('nothing was written (the output is written '
                           'atomically at the end); rerun the same command'):
        sys.exit(main())
