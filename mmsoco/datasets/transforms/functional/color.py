"""BYOL's colour recipe on uint8 RGB views.

The ops work on the (small) output views: brightness, contrast and solarize
are 256-entry LUTs, saturation is one ``cv2.addWeighted`` against the grey
image, hue is a LUT on the H channel of ``cv2``'s full-range HSV. Random
numbers come from an explicit ``rng: np.random.Generator``.
"""
from typing import Sequence

import cv2
import numpy as np

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


def byol_color(img: np.ndarray, rng: np.random.Generator,
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


__all__ = [
    'adjust_brightness', 'gray_mean', 'adjust_contrast', 'to_gray',
    'adjust_saturation', 'adjust_hue', 'color_jitter', 'gaussian_blur',
    'solarize', 'byol_color'
]
