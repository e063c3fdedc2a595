"""Pure building blocks of InsLoc's copy-paste composites (docs/algorithms.md,
InsLoc composites).

A composite is one foreground crop of the dataset image, resized keeping its
aspect ratio to fit a random ``(w, h)`` box (sides uniform in
``fore_range``), pasted (overwrite, no blending) at a uniform position fully
inside a ``canvas x canvas`` background made from another image (resized,
aspect not kept). Its one box is ``[x, y, x + w, y + h]`` in canvas pixels
(pixel ``i`` covers ``[i, i + 1)``, so the box covers exactly the pasted
pixels).

Sampling (:func:`composite_params`) and drawing (:func:`render_composite`)
are separate so tests and the view browser can redraw a composite on another
background. Colour reuses SoCo's ``functional.byol_color`` with MoCo-v2's
numbers; flips reuse ``functional.flip_boxes``.
"""
from typing import NamedTuple, Sequence, Tuple

import cv2
import numpy as np

from .functional import Crop, flip_boxes, random_resized_crop_params

FG_SCALE = (0.2, 1.0)
FG_RATIO = (0.5, 2.0)
FORE_RANGE = (128, 255)
CANVAS = 256


class CompositeParams(NamedTuple):
    crop: Crop                  # x, y, w, h of the foreground crop
    size: Tuple[int, int]       # (w, h) of the pasted foreground
    pos: Tuple[int, int]        # (x, y) of its top-left corner on the canvas
    canvas: int                 # side of the square canvas

    @property
    def box(self) -> np.ndarray:
        """(1, 4) float32 ``[x, y, x + w, y + h]``."""
        (x, y), (w, h) = self.pos, self.size
        return np.array([[x, y, x + w, y + h]], dtype=np.float32)


def fit_inside(w: int, h: int, max_w: int, max_h: int) -> Tuple[int, int]:
    """Largest aspect-kept size of a ``w x h`` patch inside
    ``max_w x max_h`` (each side at least 1 px)."""
    s = min(max_w / w, max_h / h)
    return (max(1, min(max_w, int(round(w * s)))),
            max(1, min(max_h, int(round(h * s)))))


def composite_params(height: int, width: int, rng: np.random.Generator,
                     canvas: int = CANVAS,
                     fore_range: Sequence[int] = FORE_RANGE,
                     scale: Sequence[float] = FG_SCALE,
                     ratio: Sequence[float] = FG_RATIO,
                     attempts: int = 10) -> CompositeParams:
    """Draw one composite's geometry for a ``height x width`` foreground
    image: RandomResizedCrop-style crop (``attempts`` tries, then centre),
    target box sides uniform in ``[fore_range[0], fore_range[1])``, paste
    position uniform over the positions that keep it inside the canvas."""
    if not fore_range[0] < fore_range[1] <= canvas + 1:
        raise ValueError(f'fore_range {tuple(fore_range)} must be increasing '
                         f'and fit the {canvas} px canvas')
    crop = random_resized_crop_params(height, width, scale, ratio, rng,
                                      attempts)
    tw, th = (int(v) for v in rng.integers(fore_range[0], fore_range[1],
                                           size=2))
    w, h = fit_inside(crop[2], crop[3], tw, th)
    x = int(rng.integers(0, canvas - w + 1))
    y = int(rng.integers(0, canvas - h + 1))
    return CompositeParams(crop, (w, h), (x, y), canvas)


def _resize(img: np.ndarray, w: int, h: int) -> np.ndarray:
    shrink = w * h < img.shape[0] * img.shape[1]
    out = cv2.resize(img, (w, h), interpolation=cv2.INTER_AREA
                     if shrink else cv2.INTER_LINEAR)
    return out[:, :, None] if out.ndim == 2 else out


def make_background(img: np.ndarray, canvas: int = CANVAS) -> np.ndarray:
    """The whole image resized to ``canvas x canvas`` (aspect not kept)."""
    return _resize(img, canvas, canvas)


def render_composite(fg_img: np.ndarray, bg_img: np.ndarray,
                     params: CompositeParams) -> np.ndarray:
    """Draw the composite: ``bg_img`` resized to the canvas, the foreground
    crop resized to ``params.size`` pasted at ``params.pos``."""
    out = make_background(bg_img, params.canvas).copy()
    x, y, w, h = params.crop
    patch = _resize(fg_img[y:y + h, x:x + w], *params.size)
    (px, py), (pw, ph) = params.pos, params.size
    out[py:py + ph, px:px + pw] = patch
    return out


def flip_view(img: np.ndarray, boxes: np.ndarray
              ) -> Tuple[np.ndarray, np.ndarray]:
    """Mirror a view left-right together with its boxes."""
    return (np.ascontiguousarray(img[:, ::-1]),
            flip_boxes(boxes, img.shape[1]))


def random_flip(img: np.ndarray, boxes: np.ndarray,
                rng: np.random.Generator, prob: float = 0.5
                ) -> Tuple[np.ndarray, np.ndarray, bool]:
    """Flip with probability ``prob`` -> (img, boxes, flipped)."""
    if rng.random() < prob:
        return (*flip_view(img, boxes), True)
    return img, boxes.astype(np.float32, copy=False), False
