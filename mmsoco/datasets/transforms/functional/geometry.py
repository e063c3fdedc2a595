"""Where a view comes from and where boxes land in it.

A view is an integer crop ``(x, y, w, h)`` of the *original* image resized
to ``(size, size)`` in one ``cv2.resize`` (then optionally mirrored). Boxes
are float32 (N, 4) x1 y1 x2 y2 in continuous pixel coordinates (pixel ``i``
covers ``[i, i + 1)``) and map by ``x' = (x - cx) * size / w`` (and
``size - x'`` when flipped), exactly the pixel-centre mapping of
``cv2.resize``; :func:`boxes_from_view` is its inverse.
"""
import math
from typing import Sequence, Tuple

import cv2
import numpy as np

Crop = Tuple[int, int, int, int]  # x, y, w, h in original pixels

INTERPOLATIONS = dict(area=cv2.INTER_AREA, linear=cv2.INTER_LINEAR,
                      cubic=cv2.INTER_CUBIC)


def random_resized_crop_params(height: int, width: int,
                               scale: Sequence[float],
                               ratio: Sequence[float],
                               rng: np.random.Generator,
                               attempts: int = 10) -> Crop:
    """torchvision's RandomResizedCrop sampling: area fraction in ``scale``,
    log-uniform aspect ratio in ``ratio``; falls back to a centre crop."""
    area = height * width
    log_r = (math.log(ratio[0]), math.log(ratio[1]))
    for _ in range(attempts):
        target = area * rng.uniform(scale[0], scale[1])
        r = math.exp(rng.uniform(*log_r))
        w = int(round(math.sqrt(target * r)))
        h = int(round(math.sqrt(target / r)))
        if 0 < w <= width and 0 < h <= height:
            x = int(rng.integers(0, width - w + 1))
            y = int(rng.integers(0, height - h + 1))
            return x, y, w, h
    in_ratio = width / height
    if in_ratio < ratio[0]:
        w, h = width, int(round(width / ratio[0]))
    elif in_ratio > ratio[1]:
        h, w = height, int(round(height * ratio[1]))
    else:
        w, h = width, height
    w, h = max(1, min(w, width)), max(1, min(h, height))
    return (width - w) // 2, (height - h) // 2, w, h


def whole_crop(height: int, width: int) -> Crop:
    return 0, 0, width, height


def crop_view(image: np.ndarray, crop: Crop, size: int, flip: bool = False,
              interpolation: str = 'area') -> np.ndarray:
    """One resize of a crop of the original image to ``size x size``."""
    x, y, w, h = crop
    patch = image[y:y + h, x:x + w]
    out = cv2.resize(patch, (size, size),
                     interpolation=INTERPOLATIONS[interpolation])
    if out.ndim == 2:  # cv2 drops a singleton channel axis
        out = out[:, :, None]
    return cv2.flip(out, 1) if flip else out


def downsample_view(view: np.ndarray, size: int,
                    interpolation: str = 'area') -> np.ndarray:
    """A smaller copy of a view (the paper's 'view 3 = view 2 at 112')."""
    out = cv2.resize(view, (size, size),
                     interpolation=INTERPOLATIONS[interpolation])
    return out[:, :, None] if out.ndim == 2 else out


def clip_boxes(boxes: np.ndarray, region: Sequence[float]) -> np.ndarray:
    """Clip boxes to the region ``(x1, y1, x2, y2)``."""
    out = boxes.astype(np.float32, copy=True)
    np.clip(out[:, 0::2], region[0], region[2], out=out[:, 0::2])
    np.clip(out[:, 1::2], region[1], region[3], out=out[:, 1::2])
    return out


def crop_region(crop: Crop) -> Tuple[float, float, float, float]:
    x, y, w, h = crop
    return float(x), float(y), float(x + w), float(y + h)


def intersect_regions(a: Sequence[float], b: Sequence[float]):
    return max(a[0], b[0]), max(a[1], b[1]), min(a[2], b[2]), min(a[3], b[3])


def flip_boxes(boxes: np.ndarray, width: float) -> np.ndarray:
    out = boxes.astype(np.float32, copy=True)
    out[:, 0] = width - boxes[:, 2]
    out[:, 2] = width - boxes[:, 0]
    return out


def boxes_to_view(boxes: np.ndarray, crop: Crop, size: int,
                  flip: bool = False) -> np.ndarray:
    """Original-image boxes -> pixels of a view made by ``crop_view``."""
    x, y, w, h = crop
    sx, sy = size / w, size / h
    out = np.empty_like(boxes, dtype=np.float32)
    out[:, 0] = (boxes[:, 0] - x) * sx
    out[:, 2] = (boxes[:, 2] - x) * sx
    out[:, 1] = (boxes[:, 1] - y) * sy
    out[:, 3] = (boxes[:, 3] - y) * sy
    if flip:
        out = flip_boxes(out, size)
    return out


def boxes_from_view(boxes: np.ndarray, crop: Crop, size: int,
                    flip: bool = False) -> np.ndarray:
    """Pixels of a view -> original-image boxes (undoes :func:`boxes_to_view`:
    flip, then resize and crop offset)."""
    x, y, w, h = crop
    b = flip_boxes(boxes, size) if flip else boxes.astype(np.float32)
    out = np.empty_like(b, dtype=np.float64)
    out[:, 0::2] = b[:, 0::2] * (w / size) + x
    out[:, 1::2] = b[:, 1::2] * (h / size) + y
    return out.astype(np.float32)


def overlapping(boxes: np.ndarray, region: Sequence[float],
                min_size: float = 0.0) -> np.ndarray:
    """Indices of boxes whose intersection with ``region`` has width and
    height > ``min_size`` (original pixels)."""
    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    c = clip_boxes(boxes, region)
    keep = ((c[:, 2] - c[:, 0]) > min_size) & ((c[:, 3] - c[:, 1]) > min_size)
    return np.flatnonzero(keep)


def jitter_boxes(boxes: np.ndarray, size, rng: np.random.Generator,
                 prob: float = 0.5, mag: float = 0.1,
                 min_size: float = 1.0) -> np.ndarray:
    """SoCo's view-1 box jitter: one coin per box; a box it hits (with
    probability ``prob``) gets all four components: its corner moves by
    U(-mag, mag) of its size and w, h are scaled by 1 + U(-mag, mag).

    ``size``: an int for a ``size x size`` view, or the region ``(x1, y1,
    x2, y2)`` (e.g. a crop in original pixels) the result is clipped to; the
    result keeps at least ``min_size`` px (or the box's own size if smaller)
    of width and height."""
    n = len(boxes)
    out = boxes.astype(np.float32, copy=True)
    if n == 0 or prob <= 0:
        return out
    if np.ndim(size) == 0:
        region = (0.0, 0.0, float(size), float(size))
    else:
        region = tuple(float(t) for t in size)
    hit = rng.random(n) < prob
    d = rng.uniform(-mag, mag, size=(n, 4)).astype(np.float32)
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    x1 = boxes[:, 0] + d[:, 0] * w
    y1 = boxes[:, 1] + d[:, 1] * h
    nw, nh = w * (1 + d[:, 2]), h * (1 + d[:, 3])
    jit = np.stack([x1, y1, x1 + nw, y1 + nh], axis=1)
    jit = clip_boxes(jit, region)
    # keep a positive extent inside the region
    mw = np.minimum(np.maximum(w, 1e-3), min_size)
    mh = np.minimum(np.maximum(h, 1e-3), min_size)
    for lo, hi, m in ((0, 2, mw), (1, 3, mh)):
        short = jit[:, hi] - jit[:, lo] < m
        jit[short, hi] = np.minimum(jit[short, lo] + m[short], region[hi])
        jit[short, lo] = jit[short, hi] - m[short]
    out[hit] = jit[hit]
    return out


__all__ = [
    'Crop', 'INTERPOLATIONS', 'random_resized_crop_params', 'whole_crop',
    'crop_view', 'downsample_view', 'clip_boxes', 'crop_region',
    'intersect_regions', 'flip_boxes', 'boxes_to_view', 'boxes_from_view',
    'overlapping', 'jitter_boxes'
]
