"""The two sides of one SoCo box pair (docs/algorithms.md, SoCo views):
which proposals both views share, how a side is padded to K rows, what each
side is clipped to, and how view-1 rows are jittered."""
from typing import Optional, Tuple

import numpy as np

from .geometry import clip_boxes, intersect_regions, jitter_boxes, overlapping

# 'view': each box is the proposal clipped to its own view (the reference:
#   view 1 shows the whole proposal, its partner the part inside crop k);
# 'overlap': both are clipped to the two views' common area (same pixels).
BOX_CLIPS = ('view', 'overlap')
# 'independent': each side of a pair padded to K on its own (the reference;
#   rows are matched by proposal id); 'shared': both sides padded alike.
PADDINGS = ('independent', 'shared')
# 'original': view-1 boxes are jittered as proposals in original pixels,
#   before the flip and the clip to view 1 (the reference); 'view': in view
#   1's pixels after resize and flip.
JITTER_SPACES = ('original', 'view')
# 'copy': each proposal of a pair is jittered once, before padding, so a
#   padded view-1 row is an exact copy of its proposal's row (the
#   reference); 'redraw': every row of the K jittered on its own.
PADDED_JITTERS = ('copy', 'redraw')
# A downsampled view's pair with view 1: 'source' repeats its source view's
# pair (same proposals, padding and view-1 boxes; the reference's SoCo*
# view 4), 'independent' draws its own K shared proposals.
DOWNSAMPLE_PAIRS = ('source', 'independent')
# A downsampled view's flip: 'independent' (its own coin, the reference's
# SoCo* view 4) or 'source' (its source view's flip).
DOWNSAMPLE_FLIPS = ('independent', 'source')


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


def shared_ids(boxes: np.ndarray, region_a, region_b, k: int,
               rng: np.random.Generator, min_size: float = 0.0,
               padding: str = 'independent') -> Optional[np.ndarray]:
    """Proposal indices (2, K) of a pair: K proposals overlapping both
    regions, padded as ``padding`` says (:func:`pair_indices`); ``None``
    when no proposal overlaps both."""
    common = intersect_regions(region_a, region_b)
    if common[2] <= common[0] or common[3] <= common[1] or len(boxes) == 0:
        return None
    cand = overlapping(boxes, common, min_size)
    if len(cand) == 0:
        return None
    return np.stack(pair_indices(cand, k, rng, padding)).astype(np.int64)


def side_regions(region_a, region_b, box_clip: str = 'view'):
    """What each side of a pair is clipped to (see ``BOX_CLIPS``)."""
    if box_clip not in BOX_CLIPS:
        raise ValueError(f'box_clip must be one of {BOX_CLIPS}, got '
                         f'{box_clip!r}')
    if box_clip == 'overlap':
        common = intersect_regions(region_a, region_b)
        return common, common
    return region_a, region_b


def common_boxes(boxes: np.ndarray, region_a, region_b, k: int,
                 rng: np.random.Generator, min_size: float = 0.0,
                 box_clip: str = 'view', padding: str = 'independent'
                 ) -> Tuple[Optional[np.ndarray], np.ndarray]:
    """Sample K proposals overlapping both regions.

    Returns ``(boxes (2, K, 4) or None, ids (2, K))`` in original pixels:
    side 0 clipped to ``region_a`` and side 1 to ``region_b`` (``box_clip``
    'view'), or both to the common area ('overlap'). ``None`` when no
    proposal overlaps both (ids then all -1)."""
    regions = side_regions(region_a, region_b, box_clip)
    ids = shared_ids(boxes, region_a, region_b, k, rng, min_size, padding)
    if ids is None:
        return None, np.full((2, k), -1, np.int64)
    out = np.stack([clip_boxes(boxes[ids[s]], regions[s]) for s in (0, 1)])
    return out, ids


def jitter_rows(boxes: np.ndarray, row_ids: np.ndarray, bounds,
                rng: np.random.Generator, prob: float, mag: float,
                padded_jitter: str = 'copy') -> np.ndarray:
    """:func:`jitter_boxes` on a side's K rows: 'copy' jitters each
    distinct proposal once and copies it to its padded rows, 'redraw'
    every row on its own (see ``PADDED_JITTERS``)."""
    if padded_jitter == 'redraw':
        return jitter_boxes(boxes, bounds, rng, prob, mag)
    _, first, inverse = np.unique(row_ids, return_index=True,
                                  return_inverse=True)
    return jitter_boxes(boxes[first], bounds, rng, prob, mag)[
        inverse.reshape(-1)]


__all__ = [
    'BOX_CLIPS', 'PADDINGS', 'JITTER_SPACES', 'PADDED_JITTERS',
    'DOWNSAMPLE_PAIRS', 'DOWNSAMPLE_FLIPS', 'sample_indices', 'pair_indices',
    'shared_ids', 'side_regions', 'common_boxes', 'jitter_rows'
]
