"""labelme annotations (one JSON per image) -> COCO JSON with boxes and
polygons.

    python tools/dataset_converters/labelme2coco.py LABELME_DIR OUT_JSON
        [--image-root DIR] [--classes A B ...] [--overwrite]

Every .json under LABELME_DIR is read; COCO file names are relative to
--image-root (default LABELME_DIR). See
mmsoco/datasets/converters/labelme.py.
"""
import argparse
import sys


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description='labelme JSONs -> COCO JSON')
    p.add_argument('labelme_dir')
    p.add_argument('out_json')
    p.add_argument('--image-root', default=None,
                   help='folder COCO file names are relative to (default: '
                   'LABELME_DIR)')
    p.add_argument('--classes', nargs='+', default=None,
                   help='the class list in category-id order (default: the '
                   'labels found, sorted)')
    p.add_argument('--overwrite', action='store_true',
                   help='replace an existing OUT_JSON')
    args = p.parse_args(argv)
    from mmsoco.datasets.converters import (LABELME, convert_labelme,
                                           run_converter)
    return run_converter(
        lambda: convert_labelme(args.labelme_dir, args.image_root,
                                args.classes),
        args.out_json, args.overwrite, f'labelme {args.labelme_dir}',
        source=args.labelme_dir, expected=LABELME)


if __name__ == '__main__':
    from mmsoco.utils.interrupt import exit_on_interrupt
    with exit_on_interrupt('nothing was written (the output is written '
                           'atomically at the end); rerun the same command'):
        sys.exit(main())
