"""The report of probe results benchmarks/mini_world.py prints: one
setting's accuracies in draw order, the table's mean +- std (%) over the
runs' draws, the paired CI in points."""
import numpy as np

from mmsoco.evaluation.probe_report import (accuracies, ci_points, fmt_ci,
                                            probe_table)


def probe_result(top1_by_draw):
    """Rows as tools/probe.py writes them, every setting the same top-1s."""
    return dict(rows=[
        dict(feature=f, classifier=c, shots=n, draw=d, top1=t)
        for d, t in reversed(list(enumerate(top1_by_draw)))
        for f in ('head', 'c5') for c in ('knn', 'logreg') for n in (5, 0)])


def test_accuracies_in_draw_order_and_the_table():
    runs = [probe_result([0.1, 0.2]), probe_result([0.3, 0.4])]
    assert accuracies(runs[0], 'head', 'knn', 5) == [0.1, 0.2]
    assert accuracies(runs[0], 'head', 'knn', 1) == []
    table = probe_table({'soco': runs}, (5, 0)).splitlines()
    assert table[0] == ('| init | feature | classifier | 5 labels | all '
                        'labels |')
    assert table[1] == '|---|---|---|---|---|'
    std = 100 * np.std([0.1, 0.2, 0.3, 0.4])
    assert table[2] == (f'| soco | head | knn | 25.0 +- {std:.1f} | 25.0 '
                        f'+- {std:.1f} |')
    assert [r.split(' | ')[1:3] for r in table[2:]] == [
        ['head', 'knn'], ['head', 'logreg'], ['c5', 'knn'], ['c5', 'logreg']]


def test_ci_in_points():
    a, b = [0.5, 0.6, 0.7], [0.4, 0.5, 0.6]
    mean, lo, hi = ci_points(a, b)
    assert abs(mean - 10) < 1e-9 and abs(lo - 10) < 1e-9
    assert fmt_ci((2.04, -1.26, 5.0)) == '+2.0 (95% CI -1.3..+5.0)'
