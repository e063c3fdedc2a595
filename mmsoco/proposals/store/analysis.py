"""Does a proposal store fit the domain? Box statistics, recall and
pictures, for ``tools/analyze_proposals.py``.

- :func:`box_statistics`: the kept boxes' size relative to their image
  (``sqrt(w*h / (W*H))``, the measure the filters use), aspect ``w/h`` and
  count per image; image sizes come from the store's ``image_stats`` when it
  recorded them, else from the images (:mod:`mmsoco.image_set`).
- :func:`recall_table`: recall of a COCO JSON's boxes at IoU 0.5 and 0.7,
  for all non-crowd boxes and for those the store's filter could keep
  (its first stage), computed by :func:`mmsoco.proposals.store.eval.recall`.
- :func:`filter_advice`: when most GT boxes are outside the filter's rules,
  a line naming the preset of :data:`FILTERS` that keeps the most of them.
- :func:`draw`: an image with its proposals (and GT boxes).
"""
import os.path as osp
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

import numpy as np

from mmsoco.image_set import BadImage, load_rgb, path_in_root
from mmsoco.proposals.algorithm.filters import (FILTERS, BoxRules,
                                                FilterSpec, get_filter)
from .eval import gt_boxes, keepable, load_gt, recall

SIZE_BINS = (0, 0.01, 0.02, 0.05, 0.1, 0.2, 0.3, 0.5, 0.8, 1.0)
ASPECT_BINS = (0, 1 / 3, 1 / 2, 1, 2, 3, np.inf)
ASPECT_NAMES = ('< 1/3', '1/3 - 1/2', '1/2 - 1', '1 - 2', '2 - 3', '>= 3')
IOUS = (0.5, 0.7)


def store_filter(store, name: Optional[str] = None) -> FilterSpec:
    """The filter the store was made with (or ``name``)."""
    name = name or store.meta.get('filter', 'ratio3size0308')
    if name not in FILTERS:
        raise ValueError(f'{store.path} was made with filter {name!r}, which'
                         ' is not a preset; pass --filter with one of '
                         f'{sorted(FILTERS)} to judge it by')
    return get_filter(name)


def describe_rules(rules: BoxRules) -> str:
    parts = []
    if rules.min_side is not None:
        parts.append(f'w, h >= {rules.min_side:g} px')
    if rules.max_aspect is not None:
        parts.append(f'1/{rules.max_aspect:g} <= w/h <= '
                     f'{rules.max_aspect:g}')
    if rules.rel_size is not None:
        parts.append(f'{rules.rel_size[0]:g} <= sqrt(wh/WH) <= '
                     f'{rules.rel_size[1]:g}')
    return ', '.join(parts) or 'any box'


def sample_indices(n: int, max_images: int = 0) -> np.ndarray:
    """Entry indices to describe: all, or ``max_images`` spread evenly."""
    if max_images <= 0 or max_images >= n:
        return np.arange(n)
    return (np.arange(max_images) * n // max_images).astype(np.int64)


def image_sizes(store, image_root: Optional[str] = None,
                indices: Optional[np.ndarray] = None
                ) -> Tuple[np.ndarray, str, List[Tuple[str, str]]]:
    """(len(indices), 2) width, height of entries ``indices`` (default all;
    -1 where unreadable), where they came from, and the (key, reason) of
    images that could not be read. A key outside the image root raises
    OutsideRootError before any image is opened."""
    indices = np.arange(len(store)) if indices is None else indices
    if store.has_image_stats:
        return (np.array([store.image_stats_at(int(i))[:2] for i in indices],
                         np.int64).reshape(-1, 2), 'the store', [])
    root = image_root or store.meta.get('image_root', '')
    sizes = np.full((len(indices), 2), -1, np.int64)
    bad = []
    keys = list(store.keys())
    paths = [path_in_root(keys[int(i)], root, store.path) for i in indices]
    for j, i in enumerate(indices):
        key = keys[int(i)]
        try:
            h, w = load_rgb(paths[j]).shape[:2]
            sizes[j] = w, h
        except BadImage as e:
            bad.append((key, str(e)))
    return sizes, f'the images in {root}', bad


def box_statistics(store, sizes: np.ndarray,
                   indices: Optional[np.ndarray] = None
                   ) -> Dict[str, np.ndarray]:
    """Per box: relative size, aspect and shorter side; per image: count
    (entries ``indices``, default all, with their ``sizes``)."""
    indices = np.arange(len(store)) if indices is None else indices
    rel, aspect, side, count = [], [], [], []
    for j, i in enumerate(indices):
        b = store.boxes_at(int(i))
        count.append(len(b))
        if sizes[j, 0] <= 0 or not len(b):
            continue
        w, h = b[:, 2] - b[:, 0], b[:, 3] - b[:, 1]
        rel.append(np.sqrt(w * h / float(sizes[j, 0] * sizes[j, 1])))
        aspect.append(w / np.maximum(h, 1e-6))
        side.append(np.minimum(w, h))

    def cat(x):
        return np.concatenate(x) if x else np.zeros(0)

    return dict(rel_size=cat(rel), aspect=cat(aspect), min_side=cat(side),
                per_image=np.array(count, np.int64))


def _histogram(values: np.ndarray, bins: Sequence[float],
               names: Sequence[str]) -> List[str]:
    counts = np.histogram(values, np.asarray(bins, np.float64))[0] \
        if len(values) else np.zeros(len(names), np.int64)
    total = max(int(counts.sum()), 1)
    top = max(int(counts.max()), 1)
    return [f'  {name:>14} {c:9d} {100 * c / total:6.1f}%  '
            f'{"#" * int(round(30 * c / top))}'
            for name, c in zip(names, counts)]


def format_statistics(stats: Mapping[str, np.ndarray]) -> List[str]:
    per = stats['per_image']
    lines = []
    if len(per):
        lines.append(f'boxes per image: min {per.min()}, median '
                     f'{int(np.median(per))}, mean {per.mean():.1f}, max '
                     f'{per.max()}')
    side = stats['min_side']
    if len(side):
        q = np.percentile(side, [5, 50, 95])
        lines.append(f'shorter box side (px): 5% {q[0]:.0f}, median '
                     f'{q[1]:.0f}, 95% {q[2]:.0f}')
    lines.append('box size relative to the image, sqrt(wh / WH):')
    names = [f'{a:g} - {b:g}' for a, b in zip(SIZE_BINS, SIZE_BINS[1:])]
    lines += _histogram(stats['rel_size'], SIZE_BINS, names)
    lines.append('box aspect w / h:')
    lines += _histogram(stats['aspect'], ASPECT_BINS, ASPECT_NAMES)
    return lines


def format_gt_sizes(gt: Mapping, names=None) -> List[str]:
    """The GT boxes' relative size histogram (bins of the proposals')."""
    rel = []
    for name, (boxes, (w, h)) in gt.items():
        if (names is None or name in names) and len(boxes):
            bw, bh = boxes[:, 2] - boxes[:, 0], boxes[:, 3] - boxes[:, 1]
            rel.append(np.sqrt(np.clip(bw * bh, 0, None) / float(w * h)))
    rel = np.concatenate(rel) if rel else np.zeros(0)
    names_ = [f'{a:g} - {b:g}' for a, b in zip(SIZE_BINS, SIZE_BINS[1:])]
    return ['GT box size relative to the image, sqrt(wh / WH):'] + \
        _histogram(rel, SIZE_BINS, names_)


def match_keys(store, names) -> List[str]:
    """Store keys whose file name is one of ``names`` (COCO file names are
    matched by base name, as :func:`mmsoco.proposals.store.eval.recall`
    does)."""
    base = {osp.basename(n) for n in names}
    return [k for k in store.keys() if osp.basename(k) in base]


def recall_table(store, ann_file: str, spec: FilterSpec,
                 gt: Optional[Mapping] = None) -> Dict[str, object]:
    """Recall at IoU 0.5 / 0.7 of all GT boxes and of those ``spec``'s
    first stage could keep, over the store keys the JSON annotates."""
    gt = load_gt(ann_file) if gt is None else gt
    keys = match_keys(store, gt)
    sets = dict(all=gt_boxes(ann_file, None, gt),
                eligible=gt_boxes(ann_file, spec.stages[0], gt))
    rows = {name: {thr: recall(store, boxes, keys, thr) for thr in IOUS}
            for name, boxes in sets.items()}
    return dict(keys=keys, num_images=len(gt), rows=rows)


def format_recall(table: Mapping, ann_file: str, spec: FilterSpec
                  ) -> List[str]:
    lines = [f'recall of the boxes of {ann_file} ({len(table["keys"])} of '
             f'its {table["num_images"]} images are in the store):',
             f'  {"GT boxes":<28} {"count":>7} ' +
             ' '.join(f'IoU>={t:g}' for t in IOUS)]
    labels = dict(all='all (non-crowd)',
                  eligible=f'keepable by {spec.name}')
    for name, by_thr in table['rows'].items():
        first = by_thr[IOUS[0]]
        lines.append(f'  {labels[name]:<28} {first.num_gt:7d} ' + ' '.join(
            f'{by_thr[t].recall:8.3f}' for t in IOUS))
    return lines


def keep_share(gt: Mapping, rules: BoxRules, names=None) -> Tuple[int, int]:
    """(GT boxes ``rules`` would keep, GT boxes) over images ``names``."""
    kept = total = 0
    for name, (boxes, wh) in gt.items():
        if names is not None and name not in names:
            continue
        if len(boxes):
            total += len(boxes)
            kept += int(keepable(boxes, wh, rules).sum())
    return kept, total


def filter_advice(gt: Mapping, spec: FilterSpec, names=None
                  ) -> Optional[str]:
    """A line when most GT boxes fall outside ``spec``'s first stage,
    naming the preset that keeps the most of them; None otherwise."""
    kept, total = keep_share(gt, spec.stages[0], names)
    if not total or kept * 2 >= total:
        return None
    best, best_kept = None, -1
    for name, other in FILTERS.items():
        if name == 'none' or name.endswith('_nofallback'):
            continue  # 'none' keeps everything: not a size range
        k = keep_share(gt, other.stages[0], names)[0]
        if k > best_kept:
            best, best_kept = name, k
    msg = (f'most GT boxes are outside the size range of filter {spec.name}'
           f' ({describe_rules(spec.stages[0])}): it could keep {kept} of '
           f'{total} ({100 * kept / total:.0f}%). ')
    if best != spec.name and best_kept > kept:
        msg += (f'Regenerate the proposals with --filter {best} (keeps '
                f'{best_kept} of them, {100 * best_kept / total:.0f}%; '
                f'{describe_rules(FILTERS[best].stages[0])})')
    else:
        msg += ('No preset keeps most of them; try --filter none, and a '
                'smaller --min-size for tiny objects')
    return msg


def draw(rgb: np.ndarray, boxes: np.ndarray,
         gt: Optional[np.ndarray] = None, max_boxes: int = 100,
         seed: int = 0) -> np.ndarray:
    """BGR uint8 picture: up to ``max_boxes`` proposals (a fixed random
    sample when there are more) in thin coloured lines, GT boxes in thick
    green."""
    import cv2
    img = np.ascontiguousarray(rgb[:, :, ::-1])
    rng = np.random.default_rng(seed)
    if len(boxes) > max_boxes:
        boxes = boxes[np.sort(rng.choice(len(boxes), max_boxes,
                                         replace=False))]
    colors = rng.integers(60, 256, (len(boxes), 3))
    for b, c in zip(np.round(boxes).astype(int), colors):
        cv2.rectangle(img, (b[0], b[1]), (b[2] - 1, b[3] - 1),
                      tuple(int(v) for v in c), 1)
    if gt is not None:
        thick = max(2, round(max(img.shape[:2]) / 300))
        for b in np.round(gt).astype(int):
            cv2.rectangle(img, (b[0], b[1]), (b[2] - 1, b[3] - 1),
                          (0, 255, 0), thick)
    return img


def picture_name(key: str) -> str:
    return osp.splitext(key.replace('/', '__'))[0] + '.png'


def pick_keys(keys: Sequence[str], n: int) -> List[str]:
    """``n`` keys spread evenly over ``keys``."""
    if n >= len(keys):
        return list(keys)
    return [keys[int(i * len(keys) / n)] for i in range(n)]


__all__ = ['box_statistics', 'describe_rules', 'draw', 'filter_advice',
           'format_gt_sizes', 'format_recall', 'format_statistics',
           'image_sizes', 'keep_share',
           'match_keys', 'pick_keys', 'picture_name', 'recall_table',
           'sample_indices', 'store_filter']
