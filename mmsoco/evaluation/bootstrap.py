"""Paired bootstrap confidence interval of a mean difference.

Two methods measured on the same units (the same seeds, label draws or
images) give paired samples ``a`` and ``b``; the quantity of interest is
the mean of ``a - b``. :func:`paired_bootstrap_ci` resamples the units
with replacement (the pairs stay together, so what the two share, e.g. a
hard label draw, cancels) and returns the mean difference with the
percentile interval of the resampled means. Pure numpy, deterministic for
a seed.
"""
from typing import Sequence, Tuple

import numpy as np


def _paired_differences(a: Sequence[float],
                        b: Sequence[float]) -> np.ndarray:
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    if a.ndim != 1 or b.ndim != 1:
        raise ValueError(f'paired samples must be 1-D, got shapes {a.shape} '
                         f'and {b.shape}')
    if a.shape != b.shape:
        raise ValueError(f'paired samples differ in length ({a.size} and '
                         f'{b.size}): give one value per unit to each')
    if a.size == 0:
        raise ValueError('paired samples are empty')
    if not (np.isfinite(a).all() and np.isfinite(b).all()):
        raise ValueError('paired samples hold NaN or infinite values')
    return a - b


def paired_bootstrap_ci(a: Sequence[float], b: Sequence[float],
                        n_boot: int = 10000, seed: int = 0,
                        alpha: float = 0.05) -> Tuple[float, float, float]:
    """(mean of ``a - b``, lower, upper) of the ``1 - alpha`` percentile
    interval over ``n_boot`` resamples of the pairs.

    Identical samples give ``(0.0, 0.0, 0.0)``; a single pair gives its
    difference three times (no spread can be estimated from one unit).
    """
    if n_boot < 1:
        raise ValueError(f'n_boot must be at least 1, got {n_boot}')
    if not 0 < alpha < 1:
        raise ValueError(f'alpha must lie in (0, 1), got {alpha}')
    d = _paired_differences(a, b)
    mean = float(d.mean())
    rng = np.random.default_rng(seed)
    idx = rng.integers(0, d.size, size=(n_boot, d.size))
    means = d[idx].mean(axis=1)
    lo, hi = np.quantile(means, [alpha / 2, 1 - alpha / 2])
    return mean, float(lo), float(hi)


__all__ = ['paired_bootstrap_ci']
