"""Colour augmentation of every view (jitter, grey, blur, solarize, with
per-view probabilities): BYOL's asymmetric recipe by default (SoCo), MoCo
v2's numbers in InsLoc's configs."""
from typing import Sequence

from mmcv.transforms import BaseTransform

from mmsoco.registry import TRANSFORMS
from . import functional as F
from .random_state import RandomStateMixin


def _per_view(values, n: int) -> list:
    values = list(values) if isinstance(values, (list, tuple)) else [values]
    return [values[min(i, len(values) - 1)] for i in range(n)]


@TRANSFORMS.register_module()
class ViewColorAug(RandomStateMixin, BaseTransform):
    """Colour each of results['views']: colour jitter, grey, Gaussian blur
    and solarize, each with its probability.

    Per-view lists (the last entry repeats for further views):
    ``blur_prob`` and ``solarize_prob``; the defaults are BYOL's
    asymmetric recipe (blur 1.0 for view 1, 0.1 for the others; solarize
    0.0, then 0.2), InsLoc's configs give MoCo v2's (blur 0.5, no
    solarize, jitter (0.4, 0.4, 0.4, 0.1)). All views: colour jitter
    (``jitter``: brightness, contrast, saturation, hue) with
    ``jitter_prob``, grey with ``gray_prob``, blur sigma U(``blur_sigma``).
    """

    def __init__(self, jitter: Sequence[float] = (0.4, 0.4, 0.2, 0.1),
                 jitter_prob: float = 0.8, gray_prob: float = 0.2,
                 blur_prob=(1.0, 0.1), solarize_prob=(0.0, 0.2),
                 blur_sigma: Sequence[float] = (0.1, 2.0)):
        self.jitter = tuple(jitter)
        self.jitter_prob, self.gray_prob = jitter_prob, gray_prob
        self.blur_prob, self.solarize_prob = blur_prob, solarize_prob
        self.blur_sigma = tuple(blur_sigma)

    def transform(self, results: dict) -> dict:
        views = results['views']
        blur = _per_view(self.blur_prob, len(views))
        sol = _per_view(self.solarize_prob, len(views))
        rng = self.rng_for(results)
        results['views'] = [
            F.byol_color(v, rng, self.jitter, self.jitter_prob,
                         self.gray_prob, blur[i], self.blur_sigma, sol[i])
            for i, v in enumerate(views)
        ]
        return results
