"""A picture of a world's samples: a grid of images per split with their
boxes, mask outlines and category names (docs/mini_world.png)."""
import json
import os.path as osp
from typing import Sequence

import cv2
import numpy as np

from mmsoco.utils.atomic import atomic_file
from .composite import rle_to_mask


def _panel(world: str, split: str, image: dict, anns: list, names: list,
           zoom: int, labelled: bool) -> np.ndarray:
    img = cv2.imread(osp.join(world, split, image['file_name']))
    img = cv2.resize(img, None, fx=zoom, fy=zoom,
                     interpolation=cv2.INTER_NEAREST)
    if not labelled:
        return img
    for i, a in enumerate(anns):
        colour = tuple(int(c) for c in np.random.default_rng(i).integers(
            64, 256, 3))
        mask = cv2.resize(rle_to_mask(a['segmentation']).astype(np.uint8),
                          None, fx=zoom, fy=zoom,
                          interpolation=cv2.INTER_NEAREST)
        contours, _ = cv2.findContours(mask, cv2.RETR_EXTERNAL,
                                       cv2.CHAIN_APPROX_NONE)
        cv2.drawContours(img, contours, -1, colour, 1)
        x, y, w, h = (v * zoom for v in a['bbox'])
        cv2.rectangle(img, (x, y), (x + w - 1, y + h - 1), colour, 1)
        name = names[a['category_id'] - 1].split('/')[-1]
        cv2.putText(img, name, (x + 1, max(9, y - 2)),
                    cv2.FONT_HERSHEY_PLAIN, 0.7, colour, 1, cv2.LINE_AA)
    return img


def draw_samples(world: str, out: str, per_split: int = 3,
                 splits: Sequence[str] = ('unlabeled', 'train', 'val'),
                 zoom: int = 2) -> str:
    """One row per split (``unlabeled`` drawn without its labels, which
    pretraining never reads), ``per_split`` images each; saved to ``out``."""
    rows = []
    for split in splits:
        with open(osp.join(world, 'annotations', f'{split}.json')) as f:
            coco = json.load(f)
        names = [c['name'] for c in coco['categories']]
        by_image = {}
        for a in coco['annotations']:
            by_image.setdefault(a['image_id'], []).append(a)
        panels = [_panel(world, split, im, by_image.get(im['id'], []),
                         names, zoom, split != 'unlabeled')
                  for im in coco['images'][:per_split]]
        row = np.concatenate([np.pad(p, ((0, 4), (0, 4), (0, 0)),
                                     constant_values=255) for p in panels], 1)
        title = np.full((16, row.shape[1], 3), 255, np.uint8)
        cv2.putText(title, split, (2, 12), cv2.FONT_HERSHEY_PLAIN, 1,
                    (0, 0, 0), 1, cv2.LINE_AA)
        rows.append(np.concatenate([title, row], 0))
    width = max(r.shape[1] for r in rows)
    grid = np.concatenate([np.pad(r, ((0, 0), (0, width - r.shape[1]),
                                      (0, 0)), constant_values=255)
                           for r in rows], 0)
    with atomic_file(out) as tmp:
        cv2.imwrite(tmp, grid, [cv2.IMWRITE_PNG_COMPRESSION, 9])
    return out
