"""Recall of proposals against COCO-style ground truth.

Shared by ``benchmarks/proposals.py``, ``tools/analyze_proposals.py`` and
the tests. ``eligible_gt``: only ground-truth boxes that the
``ratio3size0308`` filter could keep count (non-crowd, w and h >= 32,
aspect <= 3, 0.3 <= sqrt(wh / WH) <= 0.8); ``gt_boxes``: all non-crowd
boxes, or those any filter stage could keep. A box is recalled when a
stored proposal overlaps it at IoU >= ``thr`` (0.5 by default).
"""
import json
import os.path as osp
from typing import Dict, Iterable, Mapping, NamedTuple, Optional, Tuple

import numpy as np

from mmsoco.proposals.algorithm.filters import FILTERS, BoxRules


def load_gt(ann_file: str) -> Dict[str, Tuple[np.ndarray, Tuple[int, int]]]:
    """{file_name: ((G, 4) x1y1x2y2 non-crowd boxes, (W, H))} of a COCO
    JSON (every image, also those without boxes)."""
    with open(ann_file) as f:
        ann = json.load(f)
    imgs = {i['id']: i for i in ann['images']}
    boxes = {i['file_name']: [] for i in ann['images']}
    for a in ann['annotations']:
        if a.get('iscrowd'):
            continue
        x, y, w, h = a['bbox']
        boxes[imgs[a['image_id']]['file_name']].append([x, y, x + w, y + h])
    return {i['file_name']: (np.array(boxes[i['file_name']],
                                      np.float64).reshape(-1, 4),
                             (i['width'], i['height']))
            for i in ann['images']}


def keepable(boxes: np.ndarray, image_wh: Tuple[int, int],
             rules: BoxRules) -> np.ndarray:
    """Mask of the GT boxes that ``rules`` (a filter stage) would keep. The
    rules depend on the width and height only, which are taken as given
    (x2 - x1 can differ from the annotated w in the last bit)."""
    wh = boxes[:, 2:] - boxes[:, :2]
    return rules.keep(np.concatenate([np.zeros_like(wh), wh], 1), image_wh)


def gt_boxes(ann_file: str, rules: Optional[BoxRules] = None,
             gt: Optional[Mapping] = None) -> Dict[str, np.ndarray]:
    """{file_name: (G, 4) x1y1x2y2} of the non-crowd GT boxes, only those
    ``rules`` would keep when given (``gt``: :func:`load_gt`'s result, to
    read the file once)."""
    gt = load_gt(ann_file) if gt is None else gt
    out = {}
    for name, (boxes, wh) in gt.items():
        out[name] = boxes[keepable(boxes, wh, rules)] if rules is not None \
            and len(boxes) else boxes
    return out


def eligible_gt(ann_file: str) -> Dict[str, np.ndarray]:
    """{file_name: (G, 4) x1y1x2y2} of the boxes the filter could keep."""
    return gt_boxes(ann_file, FILTERS['ratio3size0308'].stages[0])


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


__all__ = ['eligible_gt', 'gt_boxes', 'iou', 'keepable', 'load_gt',
           'recall', 'Recall']
