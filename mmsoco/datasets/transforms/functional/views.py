"""All of SoCo's geometric views of one image with their matched boxes
(ALGORITHMS.md §1.2): crops, shared proposals, per-side boxes, padding."""
from typing import List, Optional, Sequence, Tuple

import numpy as np

from .geometry import (Crop, boxes_to_view, clip_boxes, crop_region,
                       crop_view, downsample_view, intersect_regions,
                       jitter_boxes, overlapping, random_resized_crop_params,
                       whole_crop)

# 'view': each box is the proposal clipped to its own view (the reference:
#   view 1 shows the whole proposal, its partner the part inside crop k);
# 'overlap': both are clipped to the two views' common area (same pixels).
BOX_CLIPS = ('view', 'overlap')
# 'independent': each side of a pair padded to K on its own (the reference;
#   rows are matched by proposal id); 'shared': both sides padded alike.
PADDINGS = ('independent', 'shared')


def sample_indices(candidates: np.ndarray, k: int,
                   rng: np.random.Generator) -> np.ndarray:
    """K of the candidates without replacement (all if fewer), then padded
    to exactly K by resampling the chosen ones."""
    if len(candidates) >= k:
        return rng.choice(candidates, size=k, replace=False)
    pad = rng.choice(candidates, size=k - len(candidates), replace=True)
    return np.concatenate([rng.permutation(candidates), pad])


def pair_indices(candidates: np.ndarray, k: int, rng: np.random.Generator,
                 padding: str = 'independent'
                 ) -> Tuple[np.ndarray, np.ndarray]:
    """Proposal indices of the two sides of a pair, (K,) each.

    Up to K candidates, drawn without replacement, take the first rows of
    both sides. With fewer than K, 'shared' pads both sides with the same
    resampled candidates; 'independent' pads the second side with its own
    draw, so a padded row may hold a different proposal on each side."""
    if padding not in PADDINGS:
        raise ValueError(f'padding must be one of {PADDINGS}, got '
                         f'{padding!r}')
    ids_a = sample_indices(candidates, k, rng)
    n = min(len(candidates), k)
    if padding == 'shared' or n == k:
        return ids_a, ids_a.copy()
    pad = rng.choice(candidates, size=k - n, replace=True)
    return ids_a, np.concatenate([ids_a[:n], pad])


def common_boxes(boxes: np.ndarray, region_a, region_b, k: int,
                 rng: np.random.Generator, min_size: float = 0.0,
                 box_clip: str = 'view', padding: str = 'independent'
                 ) -> Tuple[Optional[np.ndarray], np.ndarray]:
    """Sample K proposals overlapping both regions.

    Returns ``(boxes (2, K, 4) or None, ids (2, K))`` in original pixels:
    side 0 clipped to ``region_a`` and side 1 to ``region_b`` (``box_clip``
    'view'), or both to the common area ('overlap'). ``None`` when no
    proposal overlaps both (ids then all -1)."""
    if box_clip not in BOX_CLIPS:
        raise ValueError(f'box_clip must be one of {BOX_CLIPS}, got '
                         f'{box_clip!r}')
    none = None, np.full((2, k), -1, np.int64)
    common = intersect_regions(region_a, region_b)
    if common[2] <= common[0] or common[3] <= common[1] or len(boxes) == 0:
        return none
    cand = overlapping(boxes, common, min_size)
    if len(cand) == 0:
        return none
    ids = np.stack(pair_indices(cand, k, rng, padding)).astype(np.int64)
    if box_clip == 'overlap':
        regions = (common, common)
    else:
        regions = (region_a, region_b)
    out = np.stack([clip_boxes(boxes[ids[s]], regions[s]) for s in (0, 1)])
    return out, ids


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
               max_tries: int, flip_prob: float, min_overlap: float):
    """Each view's crop (original pixels) and flip, in view order."""
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
            crop, flip = crops[src], flips[src]
        else:
            raise ValueError(f"view {v}: unknown mode {mode!r} (use 'whole'"
                             ", 'crop' or 'downsample')")
        crops.append(crop)
        flips.append(flip)
    return crops, flips


def soco_views(image: np.ndarray, boxes: np.ndarray,
               rng: np.random.Generator, views: Sequence[dict],
               num_boxes: int = 4, max_tries: int = 5,
               flip_prob: float = 0.5, jitter_prob: float = 0.5,
               jitter_mag: float = 0.1, min_overlap: float = 0.0,
               interpolation: str = 'area', box_clip: str = 'view',
               padding: str = 'independent') -> dict:
    """All of SoCo's geometric views of one image with their matched boxes.

    ``views`` lists one dict per view: ``dict(size=224, mode='whole')``,
    ``dict(size=224, mode='crop', scale=(0.5, 1.), ratio=(3/4, 4/3))`` or
    ``dict(size=112, mode='downsample', of=1)`` (a smaller copy of view
    ``of``: same crop and flip). View 0 is the anchor of every pair
    (0, v). For each pair, K proposals overlapping both views are drawn
    (crops are re-drawn up to ``max_tries`` times for >= 2, then >= 1 common
    proposal) and padded to K by resampling (``padding``, see
    :func:`pair_indices`); each side's boxes are clipped as ``box_clip``
    says (:func:`common_boxes`); with none, both sides get K whole-view
    boxes (ids -1). View-0 boxes are jittered (``jitter_prob``) per pair.

    Returns dict(views=[HxWx3 uint8], pair_boxes (P, 2, K, 4) float32,
    pair_ids (P, 2, K) int64 (proposal index of each row of each side, -1 =
    whole view), crops, flips, view_shapes).
    """
    image = as_rgb(image)
    height, width = image.shape[:2]
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    boxes = clip_boxes(boxes, (0, 0, width, height))
    crops, flips = draw_crops(boxes, height, width, rng, views, max_tries,
                              flip_prob, min_overlap)
    imgs: List[np.ndarray] = []
    for v, spec in enumerate(views):
        if spec.get('mode') == 'downsample':
            imgs.append(downsample_view(imgs[spec.get('of', 1)],
                                        spec['size'], interpolation))
        else:
            imgs.append(crop_view(image, crops[v], spec['size'], flips[v],
                                  interpolation))
    s0 = views[0]['size']
    pair_boxes = np.empty((len(views) - 1, 2, num_boxes, 4), np.float32)
    pair_ids = np.full((len(views) - 1, 2, num_boxes), -1, np.int64)
    for p, v in enumerate(range(1, len(views))):
        sv = views[v]['size']
        sel, ids = common_boxes(boxes, crop_region(crops[0]),
                                crop_region(crops[v]), num_boxes, rng,
                                min_overlap, box_clip, padding)
        if sel is None:
            pair_boxes[p, 0] = whole_boxes(num_boxes, s0)
            pair_boxes[p, 1] = whole_boxes(num_boxes, sv)
            continue
        a = boxes_to_view(sel[0], crops[0], s0, flips[0])
        pair_boxes[p, 0] = jitter_boxes(a, s0, rng, jitter_prob, jitter_mag)
        pair_boxes[p, 1] = boxes_to_view(sel[1], crops[v], sv, flips[v])
        pair_ids[p] = ids
    return dict(views=imgs, pair_boxes=pair_boxes, pair_ids=pair_ids,
                crops=crops, flips=flips,
                view_shapes=[tuple(i.shape[:2]) for i in imgs])


__all__ = [
    'BOX_CLIPS', 'PADDINGS', 'sample_indices', 'pair_indices',
    'common_boxes', 'pick_crop', 'draw_crops', 'soco_views'
]
