"""Compositing of one mini-world image, as pure functions of (inputs, rng):
a background crop, stamps resized / flipped / recoloured, pasted with their
alpha, later stamps occluding earlier ones. Every object's mask is the set
of pixels where its alpha is at least one half and no later object covers
it; its box is that mask's exact extent."""
from dataclasses import dataclass
from typing import List, Sequence, Tuple

import cv2
import numpy as np


@dataclass(frozen=True)
class CompositeSettings:
    """The nuisances of the world (sizes in output pixels). The defaults
    are the frozen world of docs/mini_world.md, chosen on random
    initialisation alone (its probe lands in the 30-60 % band)."""
    size: int = 128  # square output side
    objects: Tuple[int, int] = (2, 5)  # objects per image, inclusive
    obj_size: Tuple[float, float] = (24., 64.)  # sqrt(area) of the stamp
    aspect: float = 0.  # log aspect jitter, uniform in +-aspect
    hue: float = 0.  # hue shift, degrees (OpenCV's 0..180 scale x 2)
    saturation: Tuple[float, float] = (1., 1.)
    value: Tuple[float, float] = (1., 1.)
    min_visible: float = 0.5  # share of its mask an object keeps
    max_outside: float = 0.2  # share of a stamp allowed out of the image
    bg_scale: Tuple[float, float] = (0.3, 1.0)  # background crop side share
    bg_blur: float = 2.  # Gaussian sigma (px) of the background; 0: none
    bg_contrast: float = 0.5  # background contrast around its mean colour
    tries: int = 20  # placements tried per object


def calm_background(img: np.ndarray, blur: float, contrast: float
                    ) -> np.ndarray:
    """Less clutter: blur an RGB uint8 background (Gaussian ``blur`` px)
    and scale its contrast around its mean colour by ``contrast``."""
    if blur <= 0 and contrast == 1:
        return img
    out = img.astype(np.float32)
    if blur > 0:
        out = cv2.GaussianBlur(out, (0, 0), blur)
    mean = out.mean((0, 1))
    out = mean + contrast * (out - mean)
    return np.clip(out, 0, 255).astype(np.uint8)


def background_crop(bg: np.ndarray, size: int, rng: np.random.Generator,
                    scale: Tuple[float, float]) -> np.ndarray:
    """A random square crop of an RGB background, resized to ``size``."""
    h, w = bg.shape[:2]
    side = max(8, int(round(min(h, w) * rng.uniform(*scale))))
    side = min(side, h, w)
    y = int(rng.integers(0, h - side + 1))
    x = int(rng.integers(0, w - side + 1))
    crop = bg[y:y + side, x:x + side]
    interp = cv2.INTER_AREA if side > size else cv2.INTER_LINEAR
    return cv2.resize(crop, (size, size), interpolation=interp)


def transform_stamp(rgba: np.ndarray, rng: np.random.Generator,
                    s: CompositeSettings) -> np.ndarray:
    """Resize (log-uniform sqrt-area in ``obj_size``, aspect jitter), flip
    and recolour (hue, saturation, value) one RGBA stamp."""
    h, w = rgba.shape[:2]
    target = np.exp(rng.uniform(np.log(s.obj_size[0]), np.log(s.obj_size[1])))
    ratio = np.exp(rng.uniform(-s.aspect, s.aspect))
    scale = target / np.sqrt(h * w)
    nw = max(2, int(round(w * scale * np.sqrt(ratio))))
    nh = max(2, int(round(h * scale / np.sqrt(ratio))))
    interp = cv2.INTER_AREA if nw * nh < w * h else cv2.INTER_LINEAR
    out = cv2.resize(rgba, (nw, nh), interpolation=interp)
    if rng.random() < 0.5:
        out = out[:, ::-1]
    hsv = cv2.cvtColor(np.ascontiguousarray(out[..., :3]),
                       cv2.COLOR_RGB2HSV).astype(np.float32)
    hsv[..., 0] = (hsv[..., 0] + rng.uniform(-s.hue, s.hue) / 2) % 180
    hsv[..., 1] *= rng.uniform(*s.saturation)
    hsv[..., 2] *= rng.uniform(*s.value)
    hsv = np.clip(hsv, 0, [179, 255, 255]).astype(np.uint8)
    rgb = cv2.cvtColor(hsv, cv2.COLOR_HSV2RGB)
    return np.ascontiguousarray(np.dstack([rgb, out[..., 3]]))


def _window(size: int, x: int, y: int, w: int, h: int):
    """Destination (y0, y1, x0, x1) in the image and source offsets."""
    x0, y0 = max(0, x), max(0, y)
    x1, y1 = min(size, x + w), min(size, y + h)
    return (y0, y1, x0, x1), (y0 - y, x0 - x)


def paste(canvas: np.ndarray, owner: np.ndarray, rgba: np.ndarray,
          x: int, y: int, index: int) -> None:
    """Alpha-blend ``rgba`` at (x, y) into ``canvas`` (RGB uint8, in place)
    and give the pixels where its alpha >= 128 to ``index`` in ``owner``
    (int32 map, -1 = background)."""
    h, w = rgba.shape[:2]
    (y0, y1, x0, x1), (sy, sx) = _window(canvas.shape[0], x, y, w, h)
    if y1 <= y0 or x1 <= x0:
        return
    src = rgba[sy:sy + y1 - y0, sx:sx + x1 - x0]
    a = src[..., 3:4].astype(np.float32) / 255.
    dst = canvas[y0:y1, x0:x1].astype(np.float32)
    canvas[y0:y1, x0:x1] = np.clip(
        dst * (1 - a) + src[..., :3] * a + 0.5, 0, 255).astype(np.uint8)
    owner[y0:y1, x0:x1][src[..., 3] >= 128] = index


def _stamp_mask_area(rgba: np.ndarray, x: int, y: int, size: int):
    h, w = rgba.shape[:2]
    full = int((rgba[..., 3] >= 128).sum())
    (y0, y1, x0, x1), (sy, sx) = _window(size, x, y, w, h)
    inside = int((rgba[sy:sy + max(0, y1 - y0), sx:sx + max(0, x1 - x0),
                       3] >= 128).sum())
    return full, inside


def compose(background: np.ndarray, stamps: Sequence[np.ndarray],
            labels: Sequence[int], rng: np.random.Generator,
            s: CompositeSettings):
    """Paste ``stamps`` (already transformed RGBA) in order onto
    ``background`` (RGB, size x size). A placement is kept only if at least
    ``1 - max_outside`` of the stamp is in the image and every object
    already placed keeps ``min_visible`` of its mask; after ``tries``
    refused placements a stamp is left out.

    Returns (image RGB uint8, owner map int32, [(label, mask area at
    placement)] of the pasted objects, owner index = list position).
    """
    size = s.size
    canvas = background.copy()
    owner = np.full((size, size), -1, np.int32)
    placed: List[Tuple[int, int]] = []
    for stamp, label in zip(stamps, labels):
        h, w = stamp.shape[:2]
        for _ in range(s.tries):
            x = int(rng.integers(-w // 4, size - 3 * w // 4 + 1))
            y = int(rng.integers(-h // 4, size - 3 * h // 4 + 1))
            full, inside = _stamp_mask_area(stamp, x, y, size)
            if full == 0 or inside < (1 - s.max_outside) * full:
                continue
            trial = owner.copy()
            paste(np.zeros((size, size, 3), np.uint8), trial, stamp, x, y,
                  len(placed))
            counts = np.bincount(trial[trial >= 0].ravel(),
                                 minlength=len(placed) + 1)
            if all(counts[i] >= s.min_visible * area
                   for i, (_, area) in enumerate(placed)):
                paste(canvas, owner, stamp, x, y, len(placed))
                placed.append((label, inside))
                break
    return canvas, owner, placed


def instance_annotations(owner: np.ndarray, count: int) -> List[dict]:
    """Per owner index < ``count``: ``mask`` (bool), ``bbox`` [x, y, w, h]
    (exact extent: x2 = last column + 1), ``area`` (mask pixels); None for
    an index with no visible pixel."""
    out = []
    for i in range(count):
        mask = owner == i
        if not mask.any():
            out.append(None)
            continue
        ys, xs = np.nonzero(mask)
        x0, y0 = int(xs.min()), int(ys.min())
        out.append(dict(mask=mask, area=int(mask.sum()),
                        bbox=[x0, y0, int(xs.max()) + 1 - x0,
                              int(ys.max()) + 1 - y0]))
    return out


def mask_to_rle(mask: np.ndarray) -> dict:
    """COCO uncompressed RLE of a bool mask (column-major runs starting with
    background): ``{'size': [h, w], 'counts': [...]}``."""
    flat = np.asarray(mask, bool).ravel(order='F')
    change = np.flatnonzero(np.diff(flat.astype(np.int8))) + 1
    bounds = np.concatenate([[0], change, [flat.size]])
    runs = np.diff(bounds).tolist()
    if flat.size and flat[0]:
        runs = [0] + runs
    return dict(size=list(mask.shape), counts=[int(r) for r in runs])


def rle_to_mask(rle: dict) -> np.ndarray:
    """Inverse of :func:`mask_to_rle`."""
    h, w = rle['size']
    flat = np.zeros(h * w, bool)
    pos, val = 0, False
    for r in rle['counts']:
        if val:
            flat[pos:pos + r] = True
        pos += r
        val = not val
    return flat.reshape((h, w), order='F')
