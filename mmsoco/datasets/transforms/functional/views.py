"""All of SoCo's geometric views of one image with their matched boxes
(docs/algorithms.md, SoCo views): crops, flips, view images and each pair's
boxes (drawn by :mod:`.pairs`)."""
from typing import List, Optional, Sequence

import cv2
import numpy as np

from .geometry import (Crop, boxes_to_view, clip_boxes, crop_region,
                       crop_view, downsample_view, intersect_regions,
                       overlapping, random_resized_crop_params, whole_crop)
from .pairs import (BOX_CLIPS, DOWNSAMPLE_FLIPS, DOWNSAMPLE_PAIRS,
                    JITTER_SPACES, PADDED_JITTERS, PADDINGS, jitter_rows,
                    shared_ids, side_regions)

# SoCo's three views (224 / 224 / 112) and SoCo*'s four, the fourth a
# 112 px copy of view 2: the configs' view lists, at the default aspect
# ratios (read only: copy before changing one).
SOCO_VIEWS = (dict(size=224, mode='whole'),
              dict(size=224, mode='crop', scale=(0.5, 1.)),
              dict(size=112, mode='crop', scale=(0.5, 1.)))
SOCO_STAR_VIEWS = SOCO_VIEWS[:2] + (
    dict(size=192, mode='crop', scale=(0.5, 1.)),
    dict(size=112, mode='downsample', of=1))


def pick_crop(boxes: np.ndarray, height: int, width: int, anchor,
              scale, ratio, rng: np.random.Generator, max_tries: int = 5,
              min_common: int = 2, min_size: float = 0.0) -> Crop:
    """RandomResizedCrop, re-drawn up to ``max_tries`` times until the crop
    shares >= ``min_common`` proposals with the ``anchor`` region; otherwise
    the draw sharing the most (>= 1 if any did), ties to the earliest."""
    best, best_n = None, -1
    for _ in range(max(1, max_tries)):
        crop = random_resized_crop_params(height, width, scale, ratio, rng)
        common = intersect_regions(anchor, crop_region(crop))
        n = len(overlapping(boxes, common, min_size)) if (
            common[2] > common[0] and common[3] > common[1]) else 0
        if n >= min_common:
            return crop
        if n > best_n:
            best, best_n = crop, n
    return best


def as_rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        image = image[:, :, None]
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    return image


def whole_boxes(k: int, size: int) -> np.ndarray:
    return np.tile(np.array([[0, 0, size, size]], np.float32), (k, 1))


def draw_crops(boxes, height: int, width: int, rng, views: Sequence[dict],
               max_tries: int, flip_prob: float, min_overlap: float,
               downsample_flip: str = 'independent'):
    """Each view's crop (original pixels) and flip, in view order. A
    downsampled view takes its source's crop, and its flip as
    ``downsample_flip`` says (its own coin is drawn either way)."""
    crops: List[Crop] = []
    flips: List[bool] = []
    for v, spec in enumerate(views):
        mode = spec.get('mode', 'crop')
        flip = bool(rng.random() < flip_prob)
        if mode == 'whole':
            crop = whole_crop(height, width)
        elif mode == 'crop':
            scale = spec.get('scale', (0.5, 1.0))
            ratio = spec.get('ratio', (3. / 4., 4. / 3.))
            if v == 0:
                crop = random_resized_crop_params(height, width, scale,
                                                  ratio, rng)
            else:
                crop = pick_crop(boxes, height, width,
                                 crop_region(crops[0]), scale, ratio, rng,
                                 max_tries, 2, min_overlap)
        elif mode == 'downsample':
            src = spec.get('of', 1)
            if not 0 <= src < v or views[src].get('mode') == 'downsample':
                raise ValueError(f'view {v}: downsample of view {src} needs '
                                 'an earlier, non-downsampled view')
            crop = crops[src]
            if downsample_flip == 'source':
                flip = flips[src]
        else:
            raise ValueError(f"view {v}: unknown mode {mode!r} (use 'whole'"
                             ", 'crop' or 'downsample')")
        crops.append(crop)
        flips.append(flip)
    return crops, flips


def check_options(**options) -> None:
    """ValueError naming the first option outside its allowed values."""
    allowed = dict(box_clip=BOX_CLIPS, padding=PADDINGS,
                   jitter_space=JITTER_SPACES, padded_jitter=PADDED_JITTERS,
                   downsample_pair=DOWNSAMPLE_PAIRS,
                   downsample_flip=DOWNSAMPLE_FLIPS)
    for name, value in options.items():
        if value not in allowed[name]:
            raise ValueError(f'{name} must be one of {allowed[name]}, got '
                             f'{value!r}')


def render_views(image: np.ndarray, views: Sequence[dict], crops, flips,
                 interpolation: str) -> List[np.ndarray]:
    """The view images: one resize of each crop (then its flip); a
    downsampled view is its source resized, mirrored first when the two
    flips differ."""
    imgs: List[np.ndarray] = []
    for v, spec in enumerate(views):
        if spec.get('mode') == 'downsample':
            src = spec.get('of', 1)
            base = imgs[src] if flips[v] == flips[src] else cv2.flip(
                imgs[src], 1)
            imgs.append(downsample_view(base, spec['size'], interpolation))
        else:
            imgs.append(crop_view(image, crops[v], spec['size'], flips[v],
                                  interpolation))
    return imgs


def soco_views(image: np.ndarray, boxes: np.ndarray,
               rng: np.random.Generator, views: Sequence[dict],
               num_boxes: int = 4, max_tries: int = 5,
               flip_prob: float = 0.5, jitter_prob: float = 0.5,
               jitter_mag: float = 0.1, min_overlap: float = 0.0,
               interpolation: str = 'area', box_clip: str = 'view',
               padding: str = 'independent', jitter_space: str = 'original',
               padded_jitter: str = 'copy', downsample_pair: str = 'source',
               downsample_flip: str = 'independent') -> dict:
    """All of SoCo's geometric views of one image with their matched boxes.

    ``views`` lists one dict per view: ``dict(size=224, mode='whole')``,
    ``dict(size=224, mode='crop', scale=(0.5, 1.), ratio=(3/4, 4/3))`` or
    ``dict(size=112, mode='downsample', of=1)`` (a smaller copy of view
    ``of``: same crop; flip as ``downsample_flip`` says). View 0 is the
    anchor of every pair (0, v). For each pair, K proposals overlapping both
    views are drawn (crops are re-drawn up to ``max_tries`` times for >= 2,
    then >= 1 common proposal) and padded to K by resampling (``padding``,
    see :func:`pair_indices`); each side's boxes are clipped as ``box_clip``
    says (:func:`common_boxes`); with none, both sides get K whole-view
    boxes (ids -1). View-0 boxes are jittered (``jitter_prob``) per pair,
    in the space ``jitter_space`` names, padded rows as ``padded_jitter``
    says. The pair of a view downsampled from view ``of`` > 0 repeats pair
    (0, ``of``) when ``downsample_pair`` is 'source'.

    Returns dict(views=[HxWx3 uint8], pair_boxes (P, 2, K, 4) float32,
    pair_ids (P, 2, K) int64 (proposal index of each row of each side, -1 =
    whole view), crops, flips, view_shapes).
    """
    check_options(box_clip=box_clip, padding=padding,
                  jitter_space=jitter_space, padded_jitter=padded_jitter,
                  downsample_pair=downsample_pair,
                  downsample_flip=downsample_flip)
    image = as_rgb(image)
    height, width = image.shape[:2]
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    boxes = clip_boxes(boxes, (0, 0, width, height))
    crops, flips = draw_crops(boxes, height, width, rng, views, max_tries,
                              flip_prob, min_overlap, downsample_flip)
    imgs = render_views(image, views, crops, flips, interpolation)
    s0, k = views[0]['size'], num_boxes
    region0 = crop_region(crops[0])
    pair_boxes = np.empty((len(views) - 1, 2, k, 4), np.float32)
    pair_ids = np.full((len(views) - 1, 2, k), -1, np.int64)
    partners: List[Optional[np.ndarray]] = []  # side 1, original pixels
    for p, v in enumerate(range(1, len(views))):
        sv, src = views[v]['size'], views[v].get('of', 1)
        if (views[v].get('mode') == 'downsample' and src > 0
                and downsample_pair == 'source'):
            pair_ids[p], pair_boxes[p, 0] = pair_ids[src - 1], \
                pair_boxes[src - 1, 0]
            side1 = partners[src - 1]
            pair_boxes[p, 1] = whole_boxes(k, sv) if side1 is None else \
                boxes_to_view(side1, crops[v], sv, flips[v])
            partners.append(side1)
            continue
        region_v = crop_region(crops[v])
        ids = shared_ids(boxes, region0, region_v, k, rng, min_overlap,
                         padding)
        if ids is None:
            pair_boxes[p, 0] = whole_boxes(k, s0)
            pair_boxes[p, 1] = whole_boxes(k, sv)
            partners.append(None)
            continue
        regions = side_regions(region0, region_v, box_clip)
        side0 = boxes[ids[0]]
        if jitter_space == 'original':
            side0 = jitter_rows(side0, ids[0], region0, rng, jitter_prob,
                                jitter_mag, padded_jitter)
        side1 = clip_boxes(boxes[ids[1]], regions[1])
        a = boxes_to_view(clip_boxes(side0, regions[0]), crops[0], s0,
                          flips[0])
        if jitter_space == 'view':
            a = jitter_rows(a, ids[0], s0, rng, jitter_prob, jitter_mag,
                            padded_jitter)
        pair_boxes[p, 0] = a
        pair_boxes[p, 1] = boxes_to_view(side1, crops[v], sv, flips[v])
        pair_ids[p] = ids
        partners.append(side1)
    return dict(views=imgs, pair_boxes=pair_boxes, pair_ids=pair_ids,
                crops=crops, flips=flips,
                view_shapes=[tuple(i.shape[:2]) for i in imgs])


__all__ = [
    'SOCO_VIEWS', 'SOCO_STAR_VIEWS', 'pick_crop', 'draw_crops',
    'check_options', 'render_views', 'soco_views'
]
