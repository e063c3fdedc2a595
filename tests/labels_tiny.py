"""A hand-made labelled set for the converter and chain tests: small images
with filled polygons ("balloon") and rectangles ("box") on a noisy
background, the exact pixel ground truth of each object, and writers of that
ground truth in the VIA 2.x, labelme and YOLO formats."""
import json
import math
import os
import os.path as osp
from typing import Dict, List, Tuple

import cv2
import numpy as np

SIZES = [(160, 120), (144, 112), (160, 128), (128, 96), (152, 120),
         (136, 104)]


def _octagon(cx, cy, r) -> List[float]:
    pts = []
    for i in range(8):
        a = 2 * math.pi * i / 8
        pts += [round(cx + r * math.cos(a), 1),
                round(cy + r * math.sin(a), 1)]
    return pts


def make_images(folder: str, n: int = 4, seed: int = 0, ext: str = '.png'
                ) -> Dict[str, dict]:
    """Write ``n`` images into ``folder``; returns {file name: dict(size,
    objects=[dict(cls, polygon or box x1y1x2y2)])}."""
    rng = np.random.default_rng(seed)
    os.makedirs(folder, exist_ok=True)
    truth = {}
    for i in range(n):
        w, h = SIZES[i % len(SIZES)]
        img = rng.integers(90, 140, (h, w, 3), dtype=np.uint8)
        objects = []
        cx, cy = int(rng.integers(30, w // 2)), int(rng.integers(30, h - 30))
        poly = _octagon(cx, cy, 20)
        cv2.fillPoly(img, [np.round(np.array(poly).reshape(-1, 2)).astype(
            np.int32)], (220, 40, 40))
        objects.append(dict(cls='balloon', polygon=poly))
        x1, y1 = int(rng.integers(w // 2 + 5, w - 45)), int(
            rng.integers(5, h - 45))
        box = [x1, y1, x1 + 36, y1 + 30 + i]
        cv2.rectangle(img, (box[0], box[1]), (box[2] - 1, box[3] - 1),
                      (30, 60, 210), -1)
        objects.append(dict(cls='box', box=box))
        name = f'img_{i:02d}{ext}'
        cv2.imwrite(osp.join(folder, name), img[:, :, ::-1])
        truth[name] = dict(size=(w, h), objects=objects)
    return truth


def expected_bbox(obj: dict) -> Tuple[float, float, float, float]:
    """x y w h of an object."""
    if 'box' in obj:
        x1, y1, x2, y2 = obj['box']
    else:
        xy = np.array(obj['polygon']).reshape(-1, 2)
        (x1, y1), (x2, y2) = xy.min(0), xy.max(0)
    return x1, y1, x2 - x1, y2 - y1


def write_via(folder: str, truth: Dict[str, dict],
              name: str = 'via_region_data.json') -> str:
    """VIA 2.x "export as JSON" with a 'class' region attribute."""
    data = {}
    for fname, t in truth.items():
        size = os.path.getsize(osp.join(folder, fname))
        regions = []
        for o in t['objects']:
            if 'polygon' in o:
                xy = np.array(o['polygon']).reshape(-1, 2)
                sa = dict(name='polygon', all_points_x=xy[:, 0].tolist(),
                          all_points_y=xy[:, 1].tolist())
            else:
                x1, y1, x2, y2 = o['box']
                sa = dict(name='rect', x=x1, y=y1, width=x2 - x1,
                          height=y2 - y1)
            regions.append(dict(shape_attributes=sa,
                                region_attributes={'class': o['cls']}))
        data[f'{fname}{size}'] = dict(filename=fname, size=size,
                                      regions=regions, file_attributes={})
    path = osp.join(folder, name)
    with open(path, 'w') as f:
        json.dump(data, f)
    return path


def write_labelme(folder: str, truth: Dict[str, dict]) -> None:
    """One labelme JSON beside each image."""
    for fname, t in truth.items():
        shapes = []
        for o in t['objects']:
            if 'polygon' in o:
                pts = np.array(o['polygon']).reshape(-1, 2).tolist()
                shapes.append(dict(label=o['cls'], points=pts,
                                   shape_type='polygon', group_id=None,
                                   flags={}))
            else:
                x1, y1, x2, y2 = o['box']
                # corners in the "wrong" order, as labelme allows
                shapes.append(dict(label=o['cls'],
                                   points=[[x2, y2], [x1, y1]],
                                   shape_type='rectangle', group_id=None,
                                   flags={}))
        w, h = t['size']
        with open(osp.join(folder, osp.splitext(fname)[0] + '.json'),
                  'w') as f:
            json.dump(dict(version='5.2.1', flags={}, shapes=shapes,
                           imagePath=fname, imageData=None, imageHeight=h,
                           imageWidth=w), f)


def write_yolo(labels: str, truth: Dict[str, dict], names: List[str]
               ) -> None:
    """YOLO boxes (polygons as segments) normalised by the image size."""
    os.makedirs(labels, exist_ok=True)
    for fname, t in truth.items():
        w, h = t['size']
        lines = []
        for o in t['objects']:
            c = names.index(o['cls'])
            if 'polygon' in o:
                xy = np.array(o['polygon']).reshape(-1, 2) / [w, h]
                lines.append(f'{c} ' + ' '.join(f'{v:.6f}'
                                                for v in xy.reshape(-1)))
            else:
                x1, y1, x2, y2 = o['box']
                lines.append(f'{c} {(x1 + x2) / 2 / w:.6f} '
                             f'{(y1 + y2) / 2 / h:.6f} {(x2 - x1) / w:.6f} '
                             f'{(y2 - y1) / h:.6f}')
        with open(osp.join(labels, osp.splitext(fname)[0] + '.txt'),
                  'w') as f:
            f.write('\n'.join(lines) + '\n')
