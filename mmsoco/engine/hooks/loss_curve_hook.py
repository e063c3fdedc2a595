"""work_dir/loss.png: the training loss and the validation (probe) metrics
over iterations, written when a run ends."""
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

from mmengine.dist import is_main_process
from mmengine.hooks import Hook

from mmsoco.registry import HOOKS
from mmsoco.utils.atomic import atomic_file


def plot_curves(path: str, losses: Sequence[Tuple[int, float]],
                metrics: Sequence[Tuple[int, Dict[str, float]]],
                title: str = '') -> None:
    """Loss over iterations (left) and each metric over iterations (right,
    only if there are metrics), saved to ``path`` atomically (a temporary
    file in the same folder, then renamed)."""
    from matplotlib.figure import Figure
    names = sorted({k for _, m in metrics for k in m})
    fig = Figure(figsize=(11 if names else 6, 4))
    axes = fig.subplots(1, 2 if names else 1, squeeze=False)[0]
    if losses:
        it, val = zip(*losses)
        axes[0].plot(it, val, lw=0.8)
    axes[0].set(xlabel='iteration', ylabel='loss', title=title or 'loss')
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


@HOOKS.register_module()
class LossCurveHook(Hook):
    """Records the total loss of every training iteration and the
    validation metrics whose names contain one of ``metric_keys``, and draws
    them into ``work_dir/<filename>`` at the end of training (and after each
    validation). The history is kept in checkpoints, so a resumed run draws
    the whole curve.

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
        self.metrics: List[Tuple[int, Dict[str, float]]] = []

    def after_train_iter(self, runner, batch_idx: int,
                         data_batch=None, outputs: Optional[dict] = None):
        if outputs and 'loss' in outputs:
            self.losses.append((runner.iter + 1,
                                float(outputs['loss'].detach())))
            if len(self.losses) >= 2 * self.max_points:
                self.losses = halve(self.losses)

    def after_val_epoch(self, runner, metrics: Optional[dict] = None):
        picked = {k: float(v) for k, v in (metrics or {}).items()
                  if any(s in k for s in self.metric_keys)}
        if picked:
            self.metrics.append((runner.iter, picked))
            self._draw(runner)

    def after_train(self, runner) -> None:
        self._draw(runner)

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        checkpoint.setdefault('meta', {})[self.META_KEY] = dict(
            losses=self.losses, metrics=self.metrics)

    def after_load_checkpoint(self, runner, checkpoint: dict) -> None:
        saved = (checkpoint.get('meta') or {}).get(self.META_KEY)
        if saved:
            self.losses = [tuple(x) for x in saved['losses']]
            self.metrics = [tuple(x) for x in saved['metrics']]

    def _draw(self, runner) -> None:
        if is_main_process() and (self.losses or self.metrics):
            plot_curves(osp.join(runner.work_dir, self.filename),
                        self.losses, self.metrics,
                        title=f'loss ({runner.experiment_name})')
