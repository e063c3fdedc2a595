"""SoCo's optional in-box cutout."""
from typing import Optional, Sequence, Tuple

import numpy as np
from mmcv.transforms import BaseTransform

from mmsoco.registry import TRANSFORMS
from . import functional as F
from .random_state import RandomStateMixin


ROWS = ('all', 'distinct')


def boxes_of_view(pair_boxes, ids, v: int) -> list:
    """The real (not whole-view) rows of view ``v`` over all pairs, one
    (n, 4) array per pair; view 0 (in every pair) skips a pair whose rows
    repeat an earlier pair's (a downsampled view's pair).

    ``ids`` is (P, 2, K) (one row of proposal ids per side) or (P, K) (the
    same ids on both sides); -1 marks a whole-view box."""
    ids = np.asarray(ids)
    if ids.ndim == 2:
        ids = np.stack([ids, ids], axis=1)
    if v != 0:
        return [pair_boxes[v - 1, 1][ids[v - 1, 1] >= 0]]
    out = []
    for p in range(len(ids)):
        if not any(np.array_equal(ids[p, 0], ids[q, 0]) and np.array_equal(
                pair_boxes[p, 0], pair_boxes[q, 0]) for q in range(p)):
            out.append(pair_boxes[p, 0][ids[p, 0] >= 0])
    return out


def rows_to_cut(box_lists: list, rows: str) -> np.ndarray:
    """'all': every row (padded duplicates too); 'distinct': each distinct
    box once."""
    if rows == 'distinct':
        return F.unique_boxes(box_lists)
    if not box_lists:
        return np.zeros((0, 4), np.float32)
    return np.concatenate(box_lists).astype(np.float32)


@TRANSFORMS.register_module()
class InBoxCutout(RandomStateMixin, BaseTransform):
    """Per box row of each chosen view (``rows``), with probability
    ``prob`` fill a square of U(``area``) of the box's area. Whole-view
    boxes (pairs without a shared proposal) are left alone.

    Args:
        prob, area: see :func:`functional.in_box_cutout`.
        value: the fill: 'mean' (default, the reference: the dataset's mean
            colour, i.e. zero after normalisation), a grey level (0: black)
            or an RGB triple.
        placement: 'centre' (default, the reference: the square's centre is
            uniform inside the box, the square may reach past it) or
            'inside' (the square lies inside the box).
        views: 0-based indices into ``results['views']`` of the views to
            cut. None (default) cuts every view but the first, i.e. not view
            1 (the whole image, the anchor of every pair), as the reference
            code does (it cuts views 2 and 3 only). ``(0, 1, 2)`` also cuts
            view 1.
    """

    def __init__(self, prob: float = 0.5,
                 area: Sequence[float] = (0.1, 0.3), value='mean',
                 placement: str = 'centre',
                 views: Optional[Sequence[int]] = None,
                 rows: str = 'all'):
        self.prob, self.area = prob, tuple(area)
        F.fill_value(value)  # fail at build time on a bad fill
        if placement not in F.PLACEMENTS:
            raise ValueError(f'InBoxCutout: placement must be one of '
                             f'{F.PLACEMENTS}, got {placement!r}')
        self.value, self.placement = value, placement
        if views is not None:
            views = tuple(int(v) for v in views)
            if any(v < 0 for v in views) or len(set(views)) != len(views):
                raise ValueError('InBoxCutout: views must be distinct 0-based'
                                 f' view indices, got {views}')
        self.views = views
        if rows not in ROWS:
            raise ValueError(f'InBoxCutout: rows must be one of {ROWS}, got '
                             f'{rows!r}')
        self.rows = rows

    def views_to_cut(self, num_views: int) -> Tuple[int, ...]:
        if self.views is None:
            return tuple(range(1, num_views))
        if max(self.views, default=-1) >= num_views:
            raise ValueError(
                f'InBoxCutout: views={self.views} (0-based) but the sample '
                f'has {num_views} views; set views to indices below '
                f'{num_views}')
        return self.views

    def transform(self, results: dict) -> dict:
        pb, ids = results['pair_boxes'], results['pair_ids']
        views = list(results['views'])
        rng = self.rng_for(results)
        for v in self.views_to_cut(len(views)):
            views[v] = F.in_box_cutout(
                views[v], rows_to_cut(boxes_of_view(pb, ids, v), self.rows),
                rng,
                self.prob, self.area, self.value, self.placement)
        results['views'] = views
        return results

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(prob={self.prob}, '
                f'area={self.area}, value={self.value!r}, '
                f'placement={self.placement!r}, views={self.views}, '
                f'rows={self.rows!r})')
