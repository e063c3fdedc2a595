"""Paired bootstrap CI and the normalised area under a curve."""
import numpy as np
import pytest

from mmsoco.evaluation.bootstrap import paired_bootstrap_ci
from mmsoco.evaluation.curve_area import curve_area


def test_shifted_pair_excludes_zero():
    rng = np.random.default_rng(1)
    b = rng.normal(50, 5, size=12)           # large spread between units
    a = b + 2 + rng.normal(0, 0.5, size=12)  # a small, consistent gain
    mean, lo, hi = paired_bootstrap_ci(a, b, n_boot=4000, seed=0)
    assert mean == pytest.approx(np.mean(a - b))
    assert 0 < lo < mean < hi < 4
    # the pairing is what reveals the gain: unpaired, the units' spread
    # (sd 5) would swamp 2 points; the interval is as narrow as the
    # differences' own spread allows
    assert hi - lo < 1.5


def test_identical_samples_give_zeros():
    x = [0.3, 0.5, 0.1, 0.9]
    assert paired_bootstrap_ci(x, x) == (0.0, 0.0, 0.0)


def test_no_gain_straddles_zero_and_is_deterministic():
    rng = np.random.default_rng(2)
    a, b = rng.normal(0, 1, 30), rng.normal(0, 1, 30)
    first = paired_bootstrap_ci(a, b, n_boot=2000, seed=3)
    assert first[1] < 0 < first[2]
    assert paired_bootstrap_ci(a, b, n_boot=2000, seed=3) == first
    assert paired_bootstrap_ci(a, b, n_boot=2000, seed=4) != first
    # a negative effect gives a negative interval (sign is a - b)
    mean, lo, hi = paired_bootstrap_ci(b - 3, b, n_boot=500)
    assert (mean, lo, hi) == pytest.approx((-3, -3, -3))


@pytest.mark.parametrize('a, b, word', [
    ([1, 2], [1], 'length'), ([[1]], [[1]], '1-D'), ([], [], 'empty'),
    ([1, np.nan], [1, 2], 'NaN')])
def test_bad_samples_are_named(a, b, word):
    with pytest.raises(ValueError, match=word):
        paired_bootstrap_ci(a, b)


def test_curve_area_is_the_mean_height():
    # a constant curve: its value, whatever the spacing
    assert curve_area([25, 50, 100, 200], [0.4] * 4) == pytest.approx(0.4)
    # a line from 0 to 1 over uneven points: area 1/2 of the span
    assert curve_area([0, 10, 40], [0, 0.25, 1]) == pytest.approx(0.5)
    # trapezoids, by hand: (0.1+0.3)/2*50 + (0.3+0.5)/2*100 = 50 over 150
    assert curve_area([50, 100, 200], [0.1, 0.3, 0.5]) == pytest.approx(
        50 / 150)
    assert curve_area([100], [0.7]) == pytest.approx(0.7)
    with pytest.raises(ValueError, match='increase'):
        curve_area([100, 50], [0.1, 0.2])
    with pytest.raises(ValueError, match='as many'):
        curve_area([1, 2], [0.1])
