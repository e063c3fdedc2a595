"""Look at what SoCo or InsLoc asks the model to match: one PNG per sample.

    python tools/browse_views.py CONFIG [--out work_dirs/browse_views]
        [--num 8] [--seed 0] [--data-root DIR] [--proposals STORE]
        [--ann-file LIST] [--no-color]

Each PNG shows, side by side: the original image with all its proposals
(grey) and the crop of every view (coloured frames), then every view as the
model receives it (after colour and cutout; ``--no-color`` skips colour and
cutout), with its boxes. A box is drawn in its proposal's colour and
labelled ``p<pair>:<id>`` (``id`` = the proposal's index in the store,
``whole`` when the pair shares no proposal and falls back to the whole
view), so partner boxes across views carry the same colour and label.

With an InsLoc config (its pipeline has ``InsLocCopyPaste``) each PNG shows
the source image with the foreground crop of each composite (``query`` /
``key`` frames), then each composite as the model receives it (after colour
and flip; ``--no-color`` skips colour) with its instance box, titled with
the image its background came from. ``--seed`` fixes the crops, boxes,
colour and the choice of backgrounds.

The drawing is done by the visualizer that the config names
(``visualizer = dict(type='SoCoVisualizer')`` in each method's dataset
base; see ``mmsoco/visualization``): this tool only builds the dataset,
seeds it and writes the pictures.
"""
import argparse
import os
import os.path as osp
import sys

import cv2
import numpy as np


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description='Write one PNG per sample with every SoCo view, its '
        'boxes and their proposal ids, or with InsLoc\'s source image and '
        'its query / key composites with their boxes.')
    p.add_argument('config', help='a training config (its train dataset)')
    p.add_argument('--out', default='work_dirs/browse_views')
    p.add_argument('--num', type=int, default=8, help='samples to draw')
    p.add_argument('--start', type=int, default=0, help='first index')
    p.add_argument('--seed', type=int, default=0)
    p.add_argument('--data-root', default=None)
    p.add_argument('--proposals', default=None)
    p.add_argument('--ann-file', default=None,
                   help='list of images relative to the data root')
    p.add_argument('--no-color', action='store_true',
                   help='drop colour and cutout (geometry only)')
    return p.parse_args(argv)


def write_png(path: str, img: np.ndarray) -> None:
    from mmsoco.utils.atomic import atomic_write
    ok, buf = cv2.imencode('.png', img)
    if not ok:
        raise OSError(f'cannot encode {path}')
    atomic_write(path, buf.tobytes())


def build_visualizer(cfg):
    """The mmsoco visualizer the config names (one line if none)."""
    import mmsoco.visualization  # noqa: F401
    from mmsoco.registry import VISUALIZERS
    vis_type = (cfg.get('visualizer') or {}).get('type')
    if not vis_type or not hasattr(VISUALIZERS.get(vis_type), 'browse'):
        raise ValueError(
            f'the config names no mmsoco view visualizer (visualizer.type = '
            f'{vis_type!r}); set visualizer = dict(type=\'SoCoVisualizer\')'
            ' or \'InsLocVisualizer\'')
    return VISUALIZERS.build(dict(type=vis_type,
                                  name=f'browse_views-{os.getpid()}'))


def build_dataset(args, cfg, color_transforms=()):
    from mmsoco.registry import DATASETS
    ds_cfg = cfg.train_dataloader.dataset
    if args.data_root:
        ds_cfg['data_root'] = args.data_root
    if args.proposals:
        ds_cfg['proposals'] = args.proposals
    if args.ann_file:
        ds_cfg['ann_file'] = args.ann_file
    if args.no_color:
        ds_cfg['pipeline'] = [
            t for t in ds_cfg['pipeline']
            if t['type'] not in color_transforms
        ]
    return DATASETS.build(ds_cfg)


def main(argv=None) -> int:
    args = parse_args(argv)
    from mmengine.config import Config
    from mmengine.dataset import BaseDataset
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmsoco'))
    try:
        vis = build_visualizer(cfg)
        ds = build_dataset(args, cfg, vis.color_transforms)
    except (FileNotFoundError, ValueError) as e:
        print(f'browse_views: {e}', file=sys.stderr)
        return 2
    for i, t in enumerate(ds.pipeline.transforms):
        if hasattr(t, 'set_rng'):
            t.set_rng(np.random.default_rng([args.seed, i]))
    if hasattr(ds, 'set_rng'):  # InsLoc's choice of backgrounds
        ds.set_rng(np.random.default_rng([args.seed, 1000]))
    os.makedirs(args.out, exist_ok=True)
    stop = min(len(ds), args.start + args.num)
    for n, idx in enumerate(range(args.start, stop)):
        picture = vis.browse(ds, idx)
        key = BaseDataset.get_data_info(ds, idx)['key']  # no extra draws
        name = osp.splitext(key.replace('/', '_'))[0]
        path = osp.join(args.out, f'{idx:05d}_{name}.png')
        write_png(path, picture)
        print(f'[{n + 1}/{stop - args.start}] {path}')
    return 0


if __name__ == '__main__':
    from mmsoco.utils.interrupt import exit_on_interrupt
    with exit_on_interrupt('the pictures written so far are complete; '
                           'rerun to draw the rest'):
        sys.exit(main())
