"""A report of few-label box probe results, as tools/probe.py writes them
(``rows``: one per feature, classifier, shots and label draw, with its
``top1``): one setting's accuracies, a markdown table over
initialisations, paired bootstrap CIs in points and the probe accuracy
against pretraining iterations as a plot."""
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from .bootstrap import paired_bootstrap_ci


def accuracies(result: dict, feature: str, classifier: str,
               shots: int) -> List[float]:
    """The top-1 of one setting, one per label draw in draw order."""
    return [r['top1'] for r in sorted(result['rows'],
                                      key=lambda r: r['draw'])
            if (r['feature'], r['classifier'], r['shots'])
            == (feature, classifier, shots)]


def ci_points(a: Sequence[float], b: Sequence[float]) -> Tuple[float, ...]:
    """(mean, lo, hi) of ``a - b`` (paired bootstrap, 95 %), in points."""
    return tuple(100 * v for v in paired_bootstrap_ci(a, b))


def fmt_ci(c: Sequence[float], pairs: Optional[int] = None) -> str:
    """``+X (95% CI lo..hi)``; with ``pairs=1`` (one paired difference,
    whose bootstrap is that one value) ``+X (one seed: no CI)``."""
    if pairs == 1:
        return f'{c[0]:+.1f} (one seed: no CI)'
    return f'{c[0]:+.1f} (95% CI {c[1]:+.1f}..{c[2]:+.1f})'


def probe_table(results: Dict[str, list], shots: Sequence[int]) -> str:
    """Mean +- std top-1 (%) over the runs of each initialisation, per
    feature (those in the rows, in their order: head, c5, ...),
    classifier (knn, logreg; those in the rows) and shots (0: all)."""
    lines = ['| init | feature | classifier | ' + ' | '.join(
        f'{n or "all"} labels' for n in shots) + ' |',
        '|---' * (3 + len(shots)) + '|']
    for init, runs in results.items():
        settings = dict.fromkeys((r['feature'], r['classifier'])
                                 for run in runs for r in run['rows'])
        for feat in dict.fromkeys(f for f, _ in settings):
            for clf in ('knn', 'logreg'):
                if (feat, clf) not in settings:
                    continue
                cells = []
                for n in shots:
                    acc = [a for r in runs
                           for a in accuracies(r, feat, clf, n)]
                    cells.append(f'{100 * np.mean(acc):.1f} +- '
                                 f'{100 * np.std(acc):.1f}')
                lines.append(f'| {init} | {feat} | {clf} | '
                             + ' | '.join(cells) + ' |')
    return '\n'.join(lines)


def plot_probe_curves(panels: Dict[str, Dict[str, Dict[int, float]]],
                      random_levels: Dict[str, Dict[str, float]], path: str,
                      chance: Optional[float] = None) -> None:
    """Probe accuracy (%) against pretraining iterations, one panel per
    probe setting (``panels``: ``{title: {run: {iteration: top1}}}``), one
    line per run from its random initialisation's level
    (``random_levels[title][run]``) at 0, that level dotted."""
    from matplotlib.figure import Figure

    from mmsoco.engine.hooks import save_figure
    fig = Figure(figsize=(4.2 * len(panels) + 0.6, 3.8))
    axes = np.atleast_1d(fig.subplots(1, len(panels), sharey=True))
    top = 0.
    for ax, (title, curves) in zip(axes, panels.items()):
        for i, (run, pts) in enumerate(curves.items()):
            its, level = sorted(pts), random_levels[title][run]
            ys = [level] + [pts[t] for t in its]
            top = max(top, *ys)
            ax.plot([0] + its, ys, marker='o', color=f'C{i}', label=run)
            ax.axhline(level, color=f'C{i}', ls=':', lw=0.8,
                       label=f'random init ({run} network)')
        if chance:
            ax.axhline(chance, color='k', ls='--', lw=0.8, label='chance')
        ax.set(xlabel='pretraining iterations', title=title)
    axes[0].set_ylim(0, 1.1 * top)
    axes[0].set_ylabel('top-1 on val boxes (%)')
    axes[-1].legend(fontsize=7)
    fig.suptitle('mini world: few-label box probe', fontsize=10)
    fig.tight_layout()
    save_figure(fig, path)
