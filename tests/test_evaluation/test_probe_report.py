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


def test_the_table_lists_the_features_the_rows_hold():
    """tools/probe.py --stages adds features: the table follows the rows
    (fpn and c2 here, k-NN only), in their order."""
    run = dict(rows=[dict(feature=f, classifier='knn', shots=5, draw=0,
                          top1=0.5) for f in ('head', 'fpn', 'c2')])
    table = probe_table({'soco': [run]}, (5, )).splitlines()
    assert [r.split(' | ')[1:3] for r in table[2:]] == [
        ['head', 'knn'], ['fpn', 'knn'], ['c2', 'knn']]
    assert table[2] == '| soco | head | knn | 50.0 +- 0.0 |'


def test_ci_in_points():
    a, b = [0.5, 0.6, 0.7], [0.4, 0.5, 0.6]
    mean, lo, hi = ci_points(a, b)
    assert abs(mean - 10) < 1e-9 and abs(lo - 10) < 1e-9
    assert fmt_ci((2.04, -1.26, 5.0)) == '+2.0 (95% CI -1.3..+5.0)'
    # one paired difference: its bootstrap is a point, not an interval
    assert fmt_ci(ci_points([0.3], [0.2]), pairs=1) == \
        '+10.0 (one seed: no CI)'
    assert fmt_ci((1.0, 0.5, 1.5), pairs=2) == '+1.0 (95% CI +0.5..+1.5)'


def test_probe_curves_one_panel_per_setting(tmp_path, monkeypatch):
    """Each setting gets its panel; the shared y axis shows the highest
    point of every panel (a panel's own limits must not clip another's)."""
    from mmsoco.evaluation import probe_report
    from mmsoco.engine import hooks
    figs = []
    monkeypatch.setattr(hooks, 'save_figure',
                        lambda fig, path: figs.append((fig, path)))
    panels = {'k-NN': {'soco': {75: 27.0, 300: 29.0}},
              'linear': {'soco': {75: 35.0, 300: 39.0},
                         'insloc': {300: 31.0}}}
    levels = {'k-NN': {'soco': 30.6},
              'linear': {'soco': 31.2, 'insloc': 30.0}}
    out = str(tmp_path / 'curves.png')
    probe_report.plot_probe_curves(panels, levels, out, chance=7.7)
    (fig, path), = figs
    assert path == out
    axes = fig.axes
    assert [ax.get_title() for ax in axes] == ['k-NN', 'linear']
    assert [len(ax.get_lines()) for ax in axes] == [3, 5]
    assert axes[1].get_lines()[0].get_ydata().tolist() == [31.2, 35.0, 39.0]
    assert axes[0].get_ylim()[0] == 0 and axes[1].get_ylim()[1] >= 39.0
