"""Look at what SoCo or InsLoc asks the model to match: one PNG per sample.

    python tools/browse_views.py CONFIG [--out work_dirs/browse_views]
        [--num 8] [--seed 0] [--data-root DIR] [--proposals STORE]
        [--ann-file LIST] [--no-colour]

Each PNG shows, side by side: the original image with all its proposals
(grey) and the crop of every view (coloured frames), then every view as the
model receives it (after colour and cutout; ``--no-colour`` skips colour and
cutout), with its boxes. A box is drawn in its proposal's colour and
labelled ``p<pair>:<id>`` (``id`` = the proposal's index in the store,
``whole`` when the pair shares no proposal and falls back to the whole
view), so partner boxes across views carry the same colour and label.

With an InsLoc config (its pipeline has ``InsLocCopyPaste``) each PNG shows
the source image with the foreground crop of each composite (``query`` /
``key`` frames), then each composite as the model receives it (after colour
and flip; ``--no-colour`` skips colour) with its instance box, titled with
the image its background came from. ``--seed`` fixes the crops, boxes,
colour and the choice of backgrounds.
"""
import argparse
import os
import os.path as osp
import sys

import cv2
import numpy as np

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
if REPO not in sys.path:
    sys.path.insert(0, REPO)

PANEL_H = 320
GAP = 8
VIEW_COLOURS = [(255, 255, 255), (0, 200, 255), (255, 120, 0), (0, 255, 0)]


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
    p.add_argument('--no-colour', action='store_true',
                   help='drop colour and cutout (geometry only)')
    return p.parse_args(argv)


def id_colour(pid: int) -> tuple:
    """A stable bright BGR colour per proposal id (white for 'whole')."""
    if pid < 0:
        return (255, 255, 255)
    hue = (pid * 47) % 180
    hsv = np.uint8([[[hue, 230, 255]]])
    return tuple(int(c) for c in cv2.cvtColor(hsv, cv2.COLOR_HSV2BGR)[0, 0])


def fit(img_bgr: np.ndarray, height: int = PANEL_H):
    scale = height / img_bgr.shape[0]
    width = max(1, int(round(img_bgr.shape[1] * scale)))
    interp = cv2.INTER_NEAREST if scale >= 1 else cv2.INTER_AREA
    return cv2.resize(img_bgr, (width, height), interpolation=interp), scale


def draw_box(img, box, colour, label=None, thickness=2):
    x1, y1, x2, y2 = [int(round(v)) for v in box]
    cv2.rectangle(img, (x1, y1), (max(x1 + 1, x2), max(y1 + 1, y2)), colour,
                  thickness, cv2.LINE_AA)
    if label:
        (tw, th), _ = cv2.getTextSize(label, cv2.FONT_HERSHEY_SIMPLEX, 0.4, 1)
        ty = max(th + 2, y1)
        cv2.rectangle(img, (x1, ty - th - 2), (x1 + tw + 2, ty), colour, -1)
        cv2.putText(img, label, (x1 + 1, ty - 2), cv2.FONT_HERSHEY_SIMPLEX,
                    0.4, (0, 0, 0), 1, cv2.LINE_AA)


def title(img, text):
    (tw, th), _ = cv2.getTextSize(text, cv2.FONT_HERSHEY_SIMPLEX, 0.45, 1)
    cv2.rectangle(img, (0, 0), (tw + 8, th + 8), (0, 0, 0), -1)
    cv2.putText(img, text, (4, th + 4), cv2.FONT_HERSHEY_SIMPLEX, 0.45,
                (255, 255, 255), 1, cv2.LINE_AA)


def original_panel(info: dict, meta: dict) -> np.ndarray:
    from mmsoco.datasets.transforms.loading import read_rgb
    img = cv2.cvtColor(read_rgb(info['img_path']), cv2.COLOR_RGB2BGR)
    panel, s = fit(img)
    for box in info.get('proposals', ()):
        draw_box(panel, np.asarray(box) * s, (160, 160, 160), thickness=1)
    for v, (x, y, w, h) in enumerate(meta.get('crops', [])):
        draw_box(panel, np.array([x, y, x + w, y + h]) * s,
                 VIEW_COLOURS[v % len(VIEW_COLOURS)], f'view {v + 1}', 2)
    title(panel, f'{info.get("key", "")} {img.shape[1]}x{img.shape[0]}, '
          f'{len(info.get("proposals", ()))} proposals')
    return panel


COMPOSITE_NAMES = ('query', 'key')


def composite_name(v: int) -> str:
    return COMPOSITE_NAMES[v] if v < len(COMPOSITE_NAMES) else f'view {v + 1}'


def is_insloc(ds) -> bool:
    return any(type(t).__name__ == 'InsLocCopyPaste'
               for t in ds.pipeline.transforms)


def insloc_results(ds, info: dict) -> dict:
    """The pipeline's results just before packing (the composites' crops,
    boxes, flips and background paths are still there)."""
    results = dict(info)
    for t in ds.pipeline.transforms:
        if type(t).__name__.startswith('Pack'):
            break
        results = t(results)
    return results


def insloc_panels(info: dict, results: dict) -> list:
    """The source image with every composite's foreground crop, then every
    composite with its box."""
    from mmsoco.datasets.transforms.loading import read_rgb
    img = cv2.cvtColor(read_rgb(info['img_path']), cv2.COLOR_RGB2BGR)
    panel, s = fit(img)
    for v, params in enumerate(results['composites']):
        x, y, w, h = params.crop
        draw_box(panel, np.array([x, y, x + w, y + h]) * s,
                 VIEW_COLOURS[1 + v % 3], f'{composite_name(v)} crop')
    title(panel, f'{info.get("key", "")} {img.shape[1]}x{img.shape[0]}')
    panels = [panel]
    flips = results.get('flips', [False] * len(results['views']))
    bgs = results.get('bg_paths', [])
    for v, (view, box) in enumerate(zip(results['views'],
                                        results['view_boxes'])):
        panel, s = fit(cv2.cvtColor(np.ascontiguousarray(view),
                                    cv2.COLOR_RGB2BGR))
        box = np.asarray(box, np.float32).reshape(-1, 4)[0]
        draw_box(panel, box * s, VIEW_COLOURS[1 + v % 3],
                 composite_name(v)[0])
        bg = f', bg {osp.basename(bgs[v])}' if v < len(bgs) else ''
        title(panel, f'{composite_name(v)} {view.shape[1]}x{view.shape[0]}'
              + (' flipped' if flips[v] else '') + bg)
        panels.append(panel)
    return panels


def view_panels(inputs, sample) -> list:
    pair_boxes = sample.pair_boxes.numpy()
    ids = sample.pair_ids.numpy()
    if ids.ndim == 2:  # (P, K): the same ids on both sides
        ids = np.stack([ids, ids], axis=1)
    flips = sample.metainfo.get('flips', [False] * len(inputs))
    panels = []
    for v, t in enumerate(inputs):
        img = cv2.cvtColor(np.ascontiguousarray(t.numpy().transpose(1, 2, 0)),
                           cv2.COLOR_RGB2BGR)
        panel, s = fit(img)
        rows = ([(p, 0) for p in range(len(ids))] if v == 0 else
                [(v - 1, 1)])
        for p, side in rows:
            for k in range(pair_boxes.shape[2]):
                pid = int(ids[p, side, k])
                label = f'p{p + 1}:{pid if pid >= 0 else "whole"}'
                draw_box(panel, pair_boxes[p, side, k] * s, id_colour(pid),
                         label)
        title(panel, f'view {v + 1} {t.shape[2]}x{t.shape[1]}'
              + (' flipped' if flips[v] else ''))
        panels.append(panel)
    return panels


def side_by_side(panels) -> np.ndarray:
    gap = np.full((PANEL_H, GAP, 3), 40, np.uint8)
    parts = []
    for p in panels:
        parts += [p, gap]
    return np.concatenate(parts[:-1], axis=1)


def write_png(path: str, img: np.ndarray) -> None:
    ok, buf = cv2.imencode('.png', img)
    if not ok:
        raise OSError(f'cannot encode {path}')
    tmp = path + '.tmp'
    with open(tmp, 'wb') as f:
        f.write(buf.tobytes())
    os.replace(tmp, path)


def build_dataset(args):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    import mmsoco.datasets  # noqa: F401
    from mmsoco.registry import DATASETS
    cfg = Config.fromfile(args.config)
    init_default_scope(cfg.get('default_scope', 'mmsoco'))
    ds_cfg = cfg.train_dataloader.dataset
    if args.data_root:
        ds_cfg['data_root'] = args.data_root
    if args.proposals:
        ds_cfg['proposals'] = args.proposals
    if args.ann_file:
        ds_cfg['ann_file'] = args.ann_file
    if args.no_colour:
        ds_cfg['pipeline'] = [
            t for t in ds_cfg['pipeline']
            if t['type'] not in ('BYOLColorAug', 'InBoxCutout')
        ]
    return DATASETS.build(ds_cfg)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        ds = build_dataset(args)
    except (FileNotFoundError, ValueError) as e:
        print(f'browse_views: {e}', file=sys.stderr)
        return 2
    for i, t in enumerate(ds.pipeline.transforms):
        if hasattr(t, 'set_rng'):
            t.set_rng(np.random.default_rng([args.seed, i]))
    if hasattr(ds, 'set_rng'):  # InsLoc's choice of backgrounds
        ds.set_rng(np.random.default_rng([args.seed, 1000]))
    insloc = is_insloc(ds)
    os.makedirs(args.out, exist_ok=True)
    stop = min(len(ds), args.start + args.num)
    for n, idx in enumerate(range(args.start, stop)):
        info = ds.get_data_info(idx)
        if insloc:
            panels = insloc_panels(info, insloc_results(ds, info))
        else:
            item = ds.pipeline(dict(info))
            sample = item['data_samples']
            panels = [original_panel(info, sample.metainfo)]
            panels += view_panels(item['inputs'], sample)
        name = osp.splitext(info['key'].replace('/', '_'))[0]
        path = osp.join(args.out, f'{idx:05d}_{name}.png')
        write_png(path, side_by_side(panels))
        print(f'[{n + 1}/{stop - args.start}] {path}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
