"""Area under a metric-versus-iteration curve, normalised by its span.

A fine-tuning run evaluated at a few iterations gives a curve (e.g. AP50
at 4 points of the schedule); its trapezoid area divided by the span of
the iterations is the curve's mean height, in the metric's own units. It
rewards an initialisation that is ahead early as well as one that ends
higher, and is one number per run, ready for a paired bootstrap.
"""
from typing import Sequence

import numpy as np


def curve_area(iters: Sequence[float], values: Sequence[float]) -> float:
    """Trapezoid area under ``values`` over ``iters`` divided by
    ``iters[-1] - iters[0]`` (the mean height of the curve). One point
    gives its value. ``iters`` must increase strictly."""
    x = np.asarray(iters, dtype=np.float64)
    y = np.asarray(values, dtype=np.float64)
    if x.ndim != 1 or x.shape != y.shape or x.size == 0:
        raise ValueError(f'a curve needs as many values as iterations, at '
                         f'least one (got {x.size} iterations, '
                         f'{y.size} values)')
    if not (np.isfinite(x).all() and np.isfinite(y).all()):
        raise ValueError('the curve holds NaN or infinite values')
    if x.size == 1:
        return float(y[0])
    if not (np.diff(x) > 0).all():
        raise ValueError(f'the iterations must increase strictly, got '
                         f'{x.tolist()}')
    area = float(np.sum((y[1:] + y[:-1]) / 2 * np.diff(x)))
    return area / float(x[-1] - x[0])


__all__ = ['curve_area']
