"""A hand-made stand-in for a mini world (the layout
tools/make_mini_world.py writes) for the few-label detection tests: small
square images with filled discs ("disc") and squares ("square") in random
colours on a noisy background, exact boxes and polygon masks in COCO
format (not collected itself)."""
import json
import math
import os
import os.path as osp

import cv2
import numpy as np

CLASSES = ('disc', 'square')


def _disc(cx, cy, r):
    pts = []
    for i in range(12):
        a = 2 * math.pi * i / 12
        pts += [cx + r * math.cos(a), cy + r * math.sin(a)]
    return pts


def _split(root: str, split: str, n: int, size: int, rng) -> dict:
    os.makedirs(osp.join(root, split), exist_ok=True)
    images, annotations = [], []
    for i in range(n):
        img = rng.integers(60, 160, (size, size, 3), dtype=np.uint8)
        name = f'{split}_{i:03d}.jpg'
        for _ in range(int(rng.integers(1, 4))):
            cls = int(rng.integers(0, 2))
            half = float(rng.uniform(size / 10, size / 4))
            cx, cy = rng.uniform(half, size - half, 2)
            colour = tuple(int(c) for c in rng.integers(0, 256, 3))
            if cls == 0:
                poly = _disc(cx, cy, half)
            else:
                poly = [cx - half, cy - half, cx + half, cy - half,
                        cx + half, cy + half, cx - half, cy + half]
            pts = np.array(poly).reshape(-1, 2)
            cv2.fillPoly(img, [np.round(pts).astype(np.int32)], colour)
            x1, y1 = pts.min(0)
            x2, y2 = pts.max(0)
            annotations.append(dict(
                id=len(annotations) + 1, image_id=i + 1, category_id=cls + 1,
                bbox=[float(x1), float(y1), float(x2 - x1), float(y2 - y1)],
                area=float((x2 - x1) * (y2 - y1)), iscrowd=0,
                segmentation=[[round(float(v), 2) for v in poly]]))
        assert cv2.imwrite(osp.join(root, split, name), img)
        images.append(dict(id=i + 1, file_name=name, width=size,
                           height=size))
    return dict(images=images, annotations=annotations,
                categories=[dict(id=k + 1, name=c)
                            for k, c in enumerate(CLASSES)])


def write_tiny_world(root: str, train: int = 6, val: int = 4,
                     size: int = 64, seed: int = 0) -> str:
    """Write ``train/``, ``val/``, ``annotations/{train,val}.json`` and
    ``world.json`` (``image_size``) under ``root``; returns ``root``."""
    rng = np.random.default_rng(seed)
    os.makedirs(osp.join(root, 'annotations'), exist_ok=True)
    for split, n in (('train', train), ('val', val)):
        coco = _split(root, split, n, size, rng)
        with open(osp.join(root, 'annotations', f'{split}.json'), 'w') as f:
            json.dump(coco, f)
    with open(osp.join(root, 'world.json'), 'w') as f:
        json.dump(dict(image_size=size, classes=list(CLASSES)), f)
    return root
