"""SoCo's in-box cutout on uint8 RGB views (docs/algorithms.md, SoCo views).

The reference zeroes a square *after* normalisation, so the square takes
the dataset's mean colour; on mmsoco's uint8 views that is the mean the data
preprocessor subtracts, rounded to whole grey levels (up to 0.0082 std, in
blue, away from zero once normalised).
"""
import math
from typing import List, Sequence, Union

import numpy as np

# MultiViewDataPreprocessor's default mean (tests check that the two agree)
IMAGENET_RGB_MEAN = (123.675, 116.28, 103.53)
PLACEMENTS = ('centre', 'inside')

Fill = Union[str, int, Sequence[float]]


def fill_value(value: Fill) -> np.ndarray:
    """'mean' -> the ImageNet RGB mean as uint8; a number or an RGB triple
    -> itself as uint8 (0 is black)."""
    if isinstance(value, str):
        if value != 'mean':
            raise ValueError(f"cutout fill must be 'mean', a grey level or "
                             f'an RGB triple, got {value!r}')
        value = IMAGENET_RGB_MEAN
    arr = np.rint(np.asarray(value, np.float64)).reshape(-1)
    if arr.size not in (1, 3) or (arr < 0).any() or (arr > 255).any():
        raise ValueError('cutout fill must be a grey level or an RGB triple '
                         f'in [0, 255], got {value!r}')
    return arr.astype(np.uint8)


def square_in_box(box: Sequence[float], frac: float, px: float, py: float,
                  placement: str = 'centre'):
    """The square of ``frac`` of the box's area for the uniform draws
    ``px, py`` in [0, 1), as ``(x, y, side)``.

    'centre' (the reference): the square's centre is uniform inside the box,
    so the square may reach past it. 'inside': the square (its side capped at
    the box's shorter side) lies inside the box.
    """
    x1, y1, x2, y2 = box
    bw, bh = x2 - x1, y2 - y1
    side = math.sqrt(frac * bw * bh)
    if placement == 'centre':
        return x1 + px * bw - side / 2, y1 + py * bh - side / 2, side
    if placement == 'inside':
        side = min(side, bw, bh)
        return x1 + px * (bw - side), y1 + py * (bh - side), side
    raise ValueError(f'cutout placement must be one of {PLACEMENTS}, got '
                     f'{placement!r}')


def in_box_cutout(img: np.ndarray, boxes: np.ndarray,
                  rng: np.random.Generator, prob: float = 0.5,
                  area: Sequence[float] = (0.1, 0.3), value: Fill = 'mean',
                  placement: str = 'centre') -> np.ndarray:
    """Per box with probability ``prob`` fill a square of U(``area``) of the
    box's area (placed by :func:`square_in_box`) with ``value``
    (:func:`fill_value`); the square is clipped to the image. Four draws per
    box whether or not it is cut."""
    if placement not in PLACEMENTS:
        raise ValueError(f'cutout placement must be one of {PLACEMENTS}, '
                         f'got {placement!r}')
    fill = fill_value(value)
    out = img
    copied = False
    hh, ww = img.shape[:2]
    for box in boxes:
        u, frac, px, py = rng.random(), rng.uniform(*area), rng.random(), \
            rng.random()
        if u >= prob or box[2] <= box[0] or box[3] <= box[1]:
            continue
        sx, sy, side = square_in_box(box, frac, px, py, placement)
        c0, r0 = int(max(0, math.floor(sx))), int(max(0, math.floor(sy)))
        c1 = int(min(ww, math.ceil(sx + side)))
        r1 = int(min(hh, math.ceil(sy + side)))
        if c1 <= c0 or r1 <= r0:
            continue
        if not copied:
            out, copied = img.copy(), True
        out[r0:r1, c0:c1] = fill if fill.size == out.shape[2] else fill[0]
    return out


def unique_boxes(box_lists: List[np.ndarray]) -> np.ndarray:
    """Distinct rows of several (K, 4) arrays (a view's boxes over pairs)."""
    if not box_lists:
        return np.zeros((0, 4), np.float32)
    return np.unique(np.concatenate(box_lists).astype(np.float32), axis=0)


__all__ = [
    'IMAGENET_RGB_MEAN', 'PLACEMENTS', 'fill_value', 'square_in_box',
    'in_box_cutout', 'unique_boxes'
]
