"""Named proposal filter rule sets with their fallbacks.

A rule set is a sequence of stages; the first stage that keeps at least one
box wins, and an image that no stage leaves a box for gets the whole image
as its one box. ``ratio3size0308`` is SoCo's (docs/algorithms.md,
SoCo proposals):

1. w >= 32 and h >= 32, 1/3 <= w/h <= 3, 0.3 <= sqrt(w*h / (W*H)) <= 0.8;
2. fallback: the aspect and relative-size rules only;
3. fallback: w >= 32 and h >= 32 only;
4. last resort: [0, 0, W, H].

``small_objects`` is for domains whose objects are a few percent of the
image or less (insects of 10-25 px on ~1000 px photos, cells, defects,
aerial vehicles), which SoCo's 0.3-0.8 size range drops almost entirely:

1. w >= 4 and h >= 4, 1/3 <= w/h <= 3, 0.005 <= sqrt(w*h / (W*H)) <= 0.8;
2. fallback: the aspect and relative-size rules only;
3. fallback: w >= 4 and h >= 4 only;
4. last resort: [0, 0, W, H].

The lower bound, 0.5 % of the image side (5 px on a 1000 px photo), sits
below the smallest objects such a domain labels (a 10 px insect is 1 %)
while still dropping one- and two-pixel slivers; the 4 px floor on each
side does the same for small images, where 0.5 % is under 4 px. Nothing
between 0.5 % and SoCo's upper bound is excluded, so larger objects of the
same photos keep their boxes; the upper bound 0.8 still drops the
near-whole-image boxes, which localise nothing. Selective search itself
must be able to return such boxes: its initial segments are at least
``--min-size`` pixels, so for objects under ~10 px lower it (e.g. 30).

All bounds are inclusive. No cap on the count, no NMS.
"""
from dataclasses import dataclass
from typing import Dict, Optional, Sequence, Tuple, Union

import numpy as np


@dataclass(frozen=True)
class BoxRules:
    """One stage: a box is kept when it passes every rule that is set."""
    min_side: Optional[float] = None  # w >= min_side and h >= min_side
    max_aspect: Optional[float] = None  # 1/max_aspect <= w/h <= max_aspect
    rel_size: Optional[Tuple[float, float]] = None  # sqrt(wh/WH) in [lo, hi]

    def keep(self, boxes: np.ndarray, image_wh: Tuple[int, int]) -> np.ndarray:
        """Boolean mask of the boxes (N, 4) x1y1x2y2 that pass."""
        boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
        w = boxes[:, 2] - boxes[:, 0]
        h = boxes[:, 3] - boxes[:, 1]
        ok = (w > 0) & (h > 0)
        if self.min_side is not None:
            ok &= (w >= self.min_side) & (h >= self.min_side)
        if self.max_aspect is not None:
            # w/h <= r and h/w <= r, written without division
            ok &= (w <= self.max_aspect * h) & (h <= self.max_aspect * w)
        if self.rel_size is not None:
            lo, hi = self.rel_size
            rel = np.sqrt(w * h / float(image_wh[0] * image_wh[1]))
            ok &= (rel >= lo) & (rel <= hi)
        return ok


@dataclass(frozen=True)
class FilterSpec:
    """Named rule set: stages tried in order, then the whole image."""
    name: str
    stages: Tuple[BoxRules, ...]


FILTERS: Dict[str, FilterSpec] = {
    'ratio3size0308': FilterSpec('ratio3size0308', (
        BoxRules(min_side=32, max_aspect=3, rel_size=(0.3, 0.8)),
        BoxRules(max_aspect=3, rel_size=(0.3, 0.8)),
        BoxRules(min_side=32),
    )),
    # the main rule alone (whole image when nothing passes)
    'ratio3size0308_nofallback': FilterSpec('ratio3size0308_nofallback', (
        BoxRules(min_side=32, max_aspect=3, rel_size=(0.3, 0.8)), )),
    # small objects: from 0.5 % of the image side (see the docstring)
    'small_objects': FilterSpec('small_objects', (
        BoxRules(min_side=4, max_aspect=3, rel_size=(0.005, 0.8)),
        BoxRules(max_aspect=3, rel_size=(0.005, 0.8)),
        BoxRules(min_side=4),
    )),
    # every selective-search box (whole image only when there is none)
    'none': FilterSpec('none', (BoxRules(), )),
}


def get_filter(spec: Union[str, FilterSpec, Sequence[BoxRules]]) -> FilterSpec:
    """Look up a rule set by name, or wrap a custom list of stages."""
    if isinstance(spec, FilterSpec):
        return spec
    if isinstance(spec, str):
        if spec not in FILTERS:
            raise KeyError(f'unknown proposal filter {spec!r}; choose one of '
                           f'{sorted(FILTERS)} or pass a FilterSpec')
        return FILTERS[spec]
    return FilterSpec('custom', tuple(spec))


def filter_boxes(boxes: np.ndarray, image_wh: Tuple[int, int],
                 spec: Union[str, FilterSpec] = 'ratio3size0308'
                 ) -> Tuple[np.ndarray, int]:
    """Apply a rule set -> (float32 (N, 4) kept boxes, stage index used).

    The stage index is len(stages) when the whole image was used.
    """
    spec = get_filter(spec)
    boxes = np.asarray(boxes, np.float32).reshape(-1, 4)
    for i, rules in enumerate(spec.stages):
        kept = boxes[rules.keep(boxes, image_wh)]
        if len(kept):
            return kept, i
    w, h = image_wh
    return np.array([[0, 0, w, h]], np.float32), len(spec.stages)


__all__ = ['BoxRules', 'FilterSpec', 'FILTERS', 'get_filter', 'filter_boxes']
