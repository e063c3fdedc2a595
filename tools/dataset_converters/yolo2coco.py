"""YOLO labels (images/ + labels/*.txt, normalised cx cy w h or segments)
-> COCO JSON.

    python tools/dataset_converters/yolo2coco.py IMAGES_DIR OUT_JSON
        [--labels DIR] [--names data.yaml|classes.txt] [--overwrite]

--labels defaults to IMAGES_DIR with its last "images" component replaced
by "labels"; --names to a data.yaml / classes.txt / obj.names found next to
them. See mmsoco/datasets/converters/yolo.py.
"""
import argparse
import sys


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description='YOLO labels -> COCO JSON')
    p.add_argument('images_dir')
    p.add_argument('out_json')
    p.add_argument('--labels', default=None, help='label folder')
    p.add_argument('--names', default=None,
                   help='data.yaml (names:) or a file of class names, one '
                   'per line in index order')
    p.add_argument('--overwrite', action='store_true',
                   help='replace an existing OUT_JSON')
    args = p.parse_args(argv)
    from mmsoco.datasets.converters import (YOLO, convert_yolo,
                                           run_converter)
    return run_converter(
        lambda: convert_yolo(args.images_dir, args.labels, args.names),
        args.out_json, args.overwrite, f'YOLO {args.images_dir}',
        source=args.images_dir, expected=YOLO)


if __name__ == '__main__':
    from mmsoco.utils.interrupt import exit_on_interrupt
    with exit_on_interrupt('nothing was written (the output is written '
                           'atomically at the end); rerun the same command'):
        sys.exit(main())
