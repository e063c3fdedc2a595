"""work_dir/loss.png: the training loss (smoothed as the log prints it, and
each iteration's value faintly), the learning rate and the validation
(probe) metrics over iterations; drawn at every checkpoint, after each
validation, at the end of training and when Ctrl-C stops the run."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np
from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from mmsoco.registry import HOOKS
from mmsoco.utils.atomic import atomic_file
from mmsoco.utils.interrupt import at_interrupt

DEFAULT_WINDOW = 10  # mmengine's LogProcessor window_size


def window_mean(points: Sequence[Tuple[int, float]],
                window: int) -> List[float]:
    """At each point, the mean of the values of the last ``window``
    iterations (mmengine's LogProcessor window average, which the log
    prints): the points whose iteration lies in (it - window, it]."""
    if not points:
        return []
    it = np.asarray([p[0] for p in points], dtype=np.float64)
    val = np.asarray([p[1] for p in points], dtype=np.float64)
    csum = np.concatenate([[0.], np.cumsum(val)])
    first = np.searchsorted(it, it - window, side='right')
    last = np.arange(1, len(it) + 1)
    return list((csum[last] - csum[first]) / (last - first))


def plot_curves(path: str, losses: Sequence[Tuple[int, float]],
                metrics: Sequence[Tuple[int, Dict[str, float]]],
                title: str = '', window: int = DEFAULT_WINDOW,
                lrs: Sequence[Tuple[int, float]] = ()) -> None:
    """Loss over iterations (left: the ``window``-iteration mean as a line,
    each iteration's loss as faint points, the LR on a second axis) and
    each metric over iterations (right, only if there are metrics), saved
    to ``path`` atomically."""
    from matplotlib.figure import Figure
    names = sorted({k for _, m in metrics for k in m})
    fig = Figure(figsize=(11 if names else 6.5, 4))
    axes = fig.subplots(1, 2 if names else 1, squeeze=False)[0]
    ax = axes[0]
    handles = []
    if losses:
        it, val = zip(*losses)
        handles += ax.plot(it, val, '.', ms=4, color='tab:blue',
                           alpha=0.3, label='loss, each iteration')
        handles += ax.plot(it, window_mean(losses, window), lw=1.5,
                           color='tab:blue',
                           label=f'loss, mean of {window} iterations (log)')
    ax.set(xlabel='iteration', ylabel='loss', title=title or 'loss')
    if lrs:
        lr_ax = ax.twinx()
        handles += lr_ax.plot(*zip(*lrs), lw=1, ls='--', color='tab:orange',
                              label='learning rate')
        lr_ax.set_ylabel('learning rate', color='tab:orange')
        lr_ax.tick_params(axis='y', colors='tab:orange')
        lr_ax.set_ylim(bottom=0)
    if handles:
        ax.legend(handles=handles, fontsize=7, loc='upper right')
    if names:
        for name in names:
            pts = [(i, m[name]) for i, m in metrics if name in m]
            axes[1].plot(*zip(*pts), marker='o', label=name)
        axes[1].set(xlabel='iteration', title='validation')
        axes[1].legend(fontsize=7)
    fig.tight_layout()
    save_figure(fig, path)


def save_figure(fig, path: str, dpi: int = 100) -> None:
    """A matplotlib figure -> PNG at ``path``, atomically
    (:func:`mmsoco.utils.atomic.atomic_file`): a reader never sees half a
    file."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    FigureCanvasAgg(fig)
    with atomic_file(path) as tmp:
        fig.savefig(tmp, dpi=dpi, format='png')


def halve(points: Sequence[Tuple[int, float]]) -> List[Tuple[int, float]]:
    """Average neighbouring (iteration, value) pairs: half the points, at
    the later iteration of each pair (an odd last point is kept)."""
    out = [(b[0], (a[1] + b[1]) / 2)
           for a, b in zip(points[0::2], points[1::2])]
    return out + list(points[len(out) * 2:])


def _log_window(runner) -> int:
    window = getattr(getattr(runner, 'log_processor', None), 'window_size',
                     DEFAULT_WINDOW)
    return window if isinstance(window, int) and window > 0 else \
        DEFAULT_WINDOW


def _current_lr(runner) -> Optional[float]:
    wrapper = getattr(runner, 'optim_wrapper', None)
    try:
        lrs = wrapper.get_lr()
    except Exception:  # no optimizer (yet), or a test double
        return None
    first = lrs.get('lr') or next(iter(lrs.values()), None)
    return float(first[0]) if first else None


@HOOKS.register_module()
class LossCurveHook(Hook):
    """Records the total loss and the learning rate of every training
    iteration and the validation metrics whose names contain one of
    ``metric_keys``, and draws them into ``work_dir/<filename>`` at every
    checkpoint, after each validation, at the end of training and when
    Ctrl-C stops the run (under
    :func:`mmsoco.utils.interrupt.exit_on_interrupt`). The loss is drawn
    as the log prints it (the mean of the LogProcessor's window) with each
    iteration's value faintly. The history is kept in checkpoints, so a
    resumed run draws the whole curve.

    Args:
        filename: PNG name inside the run's work_dir.
        metric_keys: substrings selecting the metrics to draw.
        max_points: past twice this many recorded losses, neighbouring
            pairs are averaged (long runs keep a bounded history).
    """

    priority = 'LOW'
    META_KEY = 'loss_curve'

    def __init__(self, filename: str = 'loss.png',
                 metric_keys: Sequence[str] = ('top1', 'mean_acc',
                                               'mean_cos'),
                 max_points: int = 5000):
        self.filename = filename
        self.max_points = max_points
        self.metric_keys = tuple(metric_keys)
        self.losses: List[Tuple[int, float]] = []
        self.lrs: List[Tuple[int, float]] = []
        self.metrics: List[Tuple[int, Dict[str, float]]] = []
        self._forget = None

    def before_train(self, runner) -> None:
        self._forget = at_interrupt(lambda: self._draw(runner))

    def after_train_iter(self, runner, batch_idx: int,
                         data_batch=None, outputs: Optional[dict] = None):
        if outputs and 'loss' in outputs:
            self.losses.append((runner.iter + 1,
                                float(outputs['loss'].detach())))
            lr = _current_lr(runner)
            if lr is not None:
                self.lrs.append((runner.iter + 1, lr))
            if len(self.losses) >= 2 * self.max_points:
                self.losses = halve(self.losses)
            if len(self.lrs) >= 2 * self.max_points:
                self.lrs = halve(self.lrs)

    def after_val_epoch(self, runner, metrics: Optional[dict] = None):
        picked = {k: float(v) for k, v in (metrics or {}).items()
                  if any(s in k for s in self.metric_keys)}
        if picked:
            self.metrics.append((runner.iter, picked))
            self._draw(runner)

    def after_train(self, runner) -> None:
        if self._forget is not None:
            self._forget()
            self._forget = None
        self._draw(runner)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})[self.META_KEY] = dict(
            losses=self.losses, lrs=self.lrs, metrics=self.metrics)
        self._draw(runner)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        saved = (checkpoint.get('meta') or {}).get(self.META_KEY)
        if saved:
            self.losses = [tuple(x) for x in saved['losses']]
            self.lrs = [tuple(x) for x in saved.get('lrs', [])]
            self.metrics = [tuple(x) for x in saved['metrics']]

    def _draw(self, runner) -> None:
        if is_main_process() and (self.losses or self.metrics):
            plot_curves(osp.join(runner.work_dir, self.filename),
                        self.losses, self.metrics,
                        title=f'loss ({runner.experiment_name})',
                        window=_log_window(runner), lrs=self.lrs)
