"""Horizontal flip of every view together with its boxes."""
from mmcv.transforms import BaseTransform

from mmsoco.registry import TRANSFORMS
from . import insloc_functional as F
from .random_state import RandomStateMixin


@TRANSFORMS.register_module()
class ViewBoxRandomFlip(RandomStateMixin, BaseTransform):
    """Flip each of results['views'] with probability ``prob``, mirroring
    its results['view_boxes'] entry; records results['flips']."""

    def __init__(self, prob: float = 0.5):
        self.prob = prob

    def transform(self, results: dict) -> dict:
        views, boxes, flips = [], [], []
        rng = self.rng_for(results)
        for img, box in zip(results['views'], results['view_boxes']):
            img, box, flipped = F.random_flip(img, box, rng, self.prob)
            views.append(img)
            boxes.append(box)
            flips.append(flipped)
        results.update(views=views, view_boxes=boxes, flips=flips)
        return results
