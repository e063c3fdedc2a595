"""Pure building blocks of SoCo's box-aware views.

Every function takes an image (RGB uint8 HxWx3 numpy array) and/or boxes
(float32 (N, 4) x1 y1 x2 y2 in continuous pixel coordinates: pixel ``i``
covers ``[i, i + 1)``) and, where it draws random numbers, an explicit
``rng: np.random.Generator``. Nothing here touches global state, so the
registered transforms are thin wrappers and the tests call these directly.

Geometry: a view is an integer crop ``(x, y, w, h)`` of the *original* image
resized to ``(size, size)`` in one ``cv2.resize`` (then optionally mirrored);
boxes map by ``x' = (x - cx) * size / w`` (and ``size - x'`` when flipped),
which is exactly the pixel-centre mapping of ``cv2.resize``.

Colour ops work on the (small) output views: brightness, contrast and
solarize are 256-entry LUTs, saturation is one ``cv2.addWeighted`` against
the grey image, hue is a LUT on the H channel of ``cv2``'s full-range HSV.
"""
import math
from typing import List, Optional, Sequence, Tuple

import cv2
import numpy as np

Crop = Tuple[int, int, int, int]  # x, y, w, h in original pixels

INTERPOLATIONS = dict(area=cv2.INTER_AREA, linear=cv2.INTER_LINEAR,
                      cubic=cv2.INTER_CUBIC)


# ----------------------------------------------------------------- geometry
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


def flip_boxes(boxes: np.ndarray, width: float) -> np.ndarray:
    out = boxes.astype(np.float32, copy=True)
    out[:, 0] = width - boxes[:, 2]
    out[:, 2] = width - boxes[:, 0]
    return out


def overlapping(boxes: np.ndarray, region: Sequence[float],
                min_size: float = 0.0) -> np.ndarray:
    """Indices of boxes whose intersection with ``region`` has width and
    height > ``min_size`` (original pixels)."""
    if len(boxes) == 0:
        return np.zeros(0, np.int64)
    c = clip_boxes(boxes, region)
    keep = ((c[:, 2] - c[:, 0]) > min_size) & ((c[:, 3] - c[:, 1]) > min_size)
    return np.flatnonzero(keep)


def sample_indices(candidates: np.ndarray, k: int,
                   rng: np.random.Generator) -> np.ndarray:
    """K of the candidates without replacement (all if fewer), then padded
    to exactly K by resampling the chosen ones."""
    if len(candidates) >= k:
        return rng.choice(candidates, size=k, replace=False)
    pad = rng.choice(candidates, size=k - len(candidates), replace=True)
    return np.concatenate([rng.permutation(candidates), pad])


def jitter_boxes(boxes: np.ndarray, size: int, rng: np.random.Generator,
                 prob: float = 0.5, mag: float = 0.1,
                 min_size: float = 1.0) -> np.ndarray:
    """SoCo's view-1 box jitter: each box with probability ``prob`` moves
    its corner by U(-mag, mag) of its size and scales w, h by 1 + U(-mag,
    mag); the result is clipped to the ``size x size`` view and kept at
    least ``min_size`` px (or the box's own size if smaller) wide."""
    n = len(boxes)
    out = boxes.astype(np.float32, copy=True)
    if n == 0 or prob <= 0:
        return out
    hit = rng.random(n) < prob
    d = rng.uniform(-mag, mag, size=(n, 4)).astype(np.float32)
    w = boxes[:, 2] - boxes[:, 0]
    h = boxes[:, 3] - boxes[:, 1]
    x1 = boxes[:, 0] + d[:, 0] * w
    y1 = boxes[:, 1] + d[:, 1] * h
    nw, nh = w * (1 + d[:, 2]), h * (1 + d[:, 3])
    jit = np.stack([x1, y1, x1 + nw, y1 + nh], axis=1)
    jit = clip_boxes(jit, (0, 0, size, size))
    # keep a positive extent inside the view
    mw = np.minimum(np.maximum(w, 1e-3), min_size)
    mh = np.minimum(np.maximum(h, 1e-3), min_size)
    for lo, hi, m in ((0, 2, mw), (1, 3, mh)):
        short = jit[:, hi] - jit[:, lo] < m
        jit[short, hi] = np.minimum(jit[short, lo] + m[short], size)
        jit[short, lo] = jit[short, hi] - m[short]
    out[hit] = jit[hit]
    return out


def common_boxes(boxes: np.ndarray, region_a, region_b, k: int,
                 rng: np.random.Generator,
                 min_size: float = 0.0
                 ) -> Tuple[Optional[np.ndarray], np.ndarray]:
    """Sample K proposals overlapping both regions, clipped to their common
    area. Returns ``(clipped boxes (K, 4) or None, proposal ids (K,))``;
    ``None`` when no proposal overlaps both (ids then all -1)."""
    common = intersect_regions(region_a, region_b)
    if common[2] <= common[0] or common[3] <= common[1] or len(boxes) == 0:
        return None, np.full(k, -1, np.int64)
    cand = overlapping(boxes, common, min_size)
    if len(cand) == 0:
        return None, np.full(k, -1, np.int64)
    ids = sample_indices(cand, k, rng)
    return clip_boxes(boxes[ids], common), ids.astype(np.int64)


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


# ------------------------------------------------------------------ colour
_IDENTITY = np.arange(256, dtype=np.float32)


def _lut(table: np.ndarray) -> np.ndarray:
    return np.clip(np.rint(table), 0, 255).astype(np.uint8)


def adjust_brightness(img: np.ndarray, factor: float) -> np.ndarray:
    return cv2.LUT(img, _lut(_IDENTITY * factor))


def gray_mean(img: np.ndarray) -> float:
    return float(cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).mean())


def adjust_contrast(img: np.ndarray, factor: float) -> np.ndarray:
    m = gray_mean(img)
    return cv2.LUT(img, _lut((_IDENTITY - m) * factor + m))


def to_gray(img: np.ndarray) -> np.ndarray:
    g = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY)
    return cv2.cvtColor(g, cv2.COLOR_GRAY2RGB)


def adjust_saturation(img: np.ndarray, factor: float) -> np.ndarray:
    return cv2.addWeighted(img, factor, to_gray(img), 1.0 - factor, 0.0)


def adjust_hue(img: np.ndarray, factor: float) -> np.ndarray:
    """Rotate hue by ``factor`` of a turn (|factor| <= 0.5)."""
    shift = int(round(factor * 256)) % 256
    if shift == 0:
        return img
    hsv = cv2.cvtColor(img, cv2.COLOR_RGB2HSV_FULL)
    lut = ((np.arange(256) + shift) % 256).astype(np.uint8)
    hsv[:, :, 0] = cv2.LUT(hsv[:, :, 0], lut)
    return cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB_FULL)


def color_jitter(img: np.ndarray, rng: np.random.Generator,
                 brightness: float = 0.4, contrast: float = 0.4,
                 saturation: float = 0.2, hue: float = 0.1) -> np.ndarray:
    """torchvision ColorJitter: the four ops in a random order with factors
    U(1 - b, 1 + b) etc. and hue U(-h, h)."""
    ops = []
    if brightness > 0:
        f = rng.uniform(max(0., 1 - brightness), 1 + brightness)
        ops.append(lambda x, f=f: adjust_brightness(x, f))
    if contrast > 0:
        f = rng.uniform(max(0., 1 - contrast), 1 + contrast)
        ops.append(lambda x, f=f: adjust_contrast(x, f))
    if saturation > 0:
        f = rng.uniform(max(0., 1 - saturation), 1 + saturation)
        ops.append(lambda x, f=f: adjust_saturation(x, f))
    if hue > 0:
        f = rng.uniform(-hue, hue)
        ops.append(lambda x, f=f: adjust_hue(x, f))
    for i in rng.permutation(len(ops)):
        img = ops[i](img)
    return img


def gaussian_blur(img: np.ndarray, sigma: float) -> np.ndarray:
    return cv2.GaussianBlur(img, (0, 0), sigmaX=sigma, sigmaY=sigma,
                            borderType=cv2.BORDER_REFLECT_101)


_SOLARIZE = np.where(np.arange(256) < 128, np.arange(256),
                     255 - np.arange(256)).astype(np.uint8)


def solarize(img: np.ndarray) -> np.ndarray:
    """Invert pixels >= 128 (torchvision / BYOL threshold 0.5)."""
    return cv2.LUT(img, _SOLARIZE)


def byol_colour(img: np.ndarray, rng: np.random.Generator,
                jitter: Sequence[float] = (0.4, 0.4, 0.2, 0.1),
                jitter_prob: float = 0.8, gray_prob: float = 0.2,
                blur_prob: float = 1.0,
                blur_sigma: Sequence[float] = (0.1, 2.0),
                solarize_prob: float = 0.0) -> np.ndarray:
    """BYOL's colour recipe for one view, in BYOL's order: jitter, grey,
    blur, solarize. The random draws happen whether or not an op fires, so a
    view's draws do not depend on the others'."""
    u = rng.random(4)
    if u[0] < jitter_prob:
        img = color_jitter(img, rng, *jitter)
    if u[1] < gray_prob:
        img = to_gray(img)
    sigma = rng.uniform(blur_sigma[0], blur_sigma[1])
    if u[2] < blur_prob:
        img = gaussian_blur(img, sigma)
    if u[3] < solarize_prob:
        img = solarize(img)
    return img


# ------------------------------------------------------------------ cutout
def in_box_cutout(img: np.ndarray, boxes: np.ndarray,
                  rng: np.random.Generator, prob: float = 0.5,
                  area: Sequence[float] = (0.1, 0.3),
                  value: int = 0) -> np.ndarray:
    """Per box with probability ``prob`` set a square of U(area) of the
    box's area, placed uniformly inside the box, to ``value``."""
    out = img
    copied = False
    hh, ww = img.shape[:2]
    for x1, y1, x2, y2 in boxes:
        u, frac, px, py = rng.random(), rng.uniform(*area), rng.random(), \
            rng.random()
        bw, bh = x2 - x1, y2 - y1
        if u >= prob or bw <= 0 or bh <= 0:
            continue
        side = min(math.sqrt(frac * bw * bh), bw, bh)
        sx = x1 + px * (bw - side)
        sy = y1 + py * (bh - side)
        c0, r0 = int(max(0, math.floor(sx))), int(max(0, math.floor(sy)))
        c1 = int(min(ww, math.ceil(sx + side)))
        r1 = int(min(hh, math.ceil(sy + side)))
        if c1 <= c0 or r1 <= r0:
            continue
        if not copied:
            out, copied = img.copy(), True
        out[r0:r1, c0:c1] = value
    return out


def unique_boxes(box_lists: List[np.ndarray]) -> np.ndarray:
    """Distinct rows of several (K, 4) arrays (a view's boxes over pairs)."""
    if not box_lists:
        return np.zeros((0, 4), np.float32)
    return np.unique(np.concatenate(box_lists).astype(np.float32), axis=0)


__all__ = [
    'random_resized_crop_params', 'whole_crop', 'crop_view',
    'downsample_view', 'clip_boxes', 'crop_region', 'intersect_regions',
    'boxes_to_view', 'flip_boxes', 'overlapping', 'sample_indices',
    'jitter_boxes', 'common_boxes', 'pick_crop', 'adjust_brightness',
    'adjust_contrast', 'adjust_saturation', 'adjust_hue', 'to_gray',
    'color_jitter', 'gaussian_blur', 'solarize', 'byol_colour',
    'in_box_cutout', 'unique_boxes'
]


# -------------------------------------------------------------- all views
def _as_rgb(image: np.ndarray) -> np.ndarray:
    if image.ndim == 2:
        image = image[:, :, None]
    if image.shape[2] == 1:
        image = np.repeat(image, 3, axis=2)
    return image


def _whole_boxes(k: int, size: int) -> np.ndarray:
    return np.tile(np.array([[0, 0, size, size]], np.float32), (k, 1))


def soco_views(image: np.ndarray, boxes: np.ndarray,
               rng: np.random.Generator, views: Sequence[dict],
               num_boxes: int = 4, max_tries: int = 5,
               flip_prob: float = 0.5, jitter_prob: float = 0.5,
               jitter_mag: float = 0.1, min_overlap: float = 0.0,
               interpolation: str = 'area') -> dict:
    """All of SoCo's geometric views of one image with their matched boxes.

    ``views`` lists one dict per view: ``dict(size=224, mode='whole')``,
    ``dict(size=224, mode='crop', scale=(0.5, 1.), ratio=(3/4, 4/3))`` or
    ``dict(size=112, mode='downsample', of=1)`` (a smaller copy of view
    ``of``: same crop and flip). View 0 is the anchor of every pair
    (0, v). For each pair, K proposals overlapping both views are drawn
    (crops are re-drawn up to ``max_tries`` times for >= 2, then >= 1 common
    proposal), clipped to the views' common area and padded to K by
    resampling; with none, both sides get K whole-view boxes (ids -1).
    View-0 boxes are jittered (``jitter_prob``) per pair.

    Returns dict(views=[HxWx3 uint8], pair_boxes (P, 2, K, 4) float32,
    pair_ids (P, K) int64 (proposal index, -1 = whole view), crops, flips,
    view_shapes).
    """
    image = _as_rgb(image)
    height, width = image.shape[:2]
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    boxes = clip_boxes(boxes, (0, 0, width, height))
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
    pair_ids = np.full((len(views) - 1, num_boxes), -1, np.int64)
    for p, v in enumerate(range(1, len(views))):
        sv = views[v]['size']
        sel, ids = common_boxes(boxes, crop_region(crops[0]),
                                crop_region(crops[v]), num_boxes, rng,
                                min_overlap)
        if sel is None:
            pair_boxes[p, 0] = _whole_boxes(num_boxes, s0)
            pair_boxes[p, 1] = _whole_boxes(num_boxes, sv)
            continue
        a = boxes_to_view(sel, crops[0], s0, flips[0])
        pair_boxes[p, 0] = jitter_boxes(a, s0, rng, jitter_prob, jitter_mag)
        pair_boxes[p, 1] = boxes_to_view(sel, crops[v], sv, flips[v])
        pair_ids[p] = ids
    return dict(views=imgs, pair_boxes=pair_boxes, pair_ids=pair_ids,
                crops=crops, flips=flips,
                view_shapes=[tuple(i.shape[:2]) for i in imgs])


__all__ += ['soco_views']
