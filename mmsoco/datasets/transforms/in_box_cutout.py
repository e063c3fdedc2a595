"""SoCo's optional in-box cutout."""
from typing import Sequence

from mmcv.transforms import BaseTransform

from mmsoco.registry import TRANSFORMS
from . import functional as F
from .random_state import RandomStateMixin


def boxes_of_view(pair_boxes, ids, v: int) -> list:
    """The real (not whole-view) boxes of view ``v`` over all pairs."""
    if v == 0:
        return [pair_boxes[p, 0][ids[p] >= 0] for p in range(len(ids))]
    return [pair_boxes[v - 1, 1][ids[v - 1] >= 0]]


@TRANSFORMS.register_module()
class InBoxCutout(RandomStateMixin, BaseTransform):
    """Per distinct box of each view, with probability ``prob`` zero a
    square of U(``area``) of the box's area inside it. Whole-view boxes
    (pairs without a shared proposal) are left alone."""

    def __init__(self, prob: float = 0.5,
                 area: Sequence[float] = (0.1, 0.3), value: int = 0):
        self.prob, self.area, self.value = prob, tuple(area), value

    def transform(self, results: dict) -> dict:
        pb, ids = results['pair_boxes'], results['pair_ids']
        results['views'] = [
            F.in_box_cutout(img, F.unique_boxes(boxes_of_view(pb, ids, v)),
                            self.rng, self.prob, self.area, self.value)
            for v, img in enumerate(results['views'])
        ]
        return results
