"""Recall of proposals against COCO-style ground truth.

Shared by ``benchmarks/proposals.py`` and ``tests/test_proposals_quality.py``.
Only ground-truth boxes that the ``ratio3size0308`` filter could keep count
(non-crowd, w and h >= 32, aspect <= 3, 0.3 <= sqrt(wh / WH) <= 0.8); a box
is recalled when a stored proposal overlaps it at IoU >= 0.5.
"""
import json
import os.path as osp
from typing import Dict, Iterable, Mapping, NamedTuple

import numpy as np


def eligible_gt(ann_file: str) -> Dict[str, np.ndarray]:
    """{file_name: (G, 4) x1y1x2y2} of the boxes the filter could keep."""
    with open(ann_file) as f:
        ann = json.load(f)
    imgs = {i['id']: i for i in ann['images']}
    gt = {i['file_name']: [] for i in ann['images']}
    for a in ann['annotations']:
        x, y, w, h = a['bbox']
        im = imgs[a['image_id']]
        if a.get('iscrowd') or w < 32 or h < 32 or max(w / h, h / w) > 3:
            continue
        rel = np.sqrt(w * h / (im['width'] * im['height']))
        if not 0.3 <= rel <= 0.8:
            continue
        gt[im['file_name']].append([x, y, x + w, y + h])
    return {k: np.array(v, np.float64).reshape(-1, 4) for k, v in gt.items()}


def iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(A, B) IoU of x1y1x2y2 boxes."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(rb - lt, 0, None), axis=2)

    def area(x):
        return (x[:, 2] - x[:, 0]) * (x[:, 3] - x[:, 1])

    union = area(a)[:, None] + area(b)[None] - inter
    return inter / np.maximum(union, 1e-12)


class Recall(NamedTuple):
    recall: float  # recalled eligible GT boxes / eligible GT boxes
    num_gt: int  # eligible GT boxes
    boxes_per_image: float  # mean stored proposals per key


def recall(store: Mapping[str, np.ndarray], gt: Mapping[str, np.ndarray],
           keys: Iterable[str], thr: float = 0.5) -> Recall:
    """Recall of ``gt`` (matched to keys by file name) at IoU >= ``thr``."""
    hit = tot = nbox = n = 0
    for k in keys:
        boxes = store[k]
        n += 1
        nbox += len(boxes)
        g = gt.get(osp.basename(k), np.zeros((0, 4)))
        if len(g):
            tot += len(g)
            if len(boxes):
                hit += int((iou(g, boxes).max(1) >= thr).sum())
    return Recall(hit / max(tot, 1), tot, nbox / max(n, 1))


__all__ = ['eligible_gt', 'iou', 'recall', 'Recall']
