"""A progress line between the log lines of a slow run."""
import time
from typing import Optional

from mmengine.hooks import Hook, LoggerHook

from mmsoco.registry import HOOKS
from mmsoco.utils.progress import fmt_seconds


@HOOKS.register_module()
class ProgressHook(Hook):
    """Logs ``<what>: iteration i/N, s per iteration, ETA`` after an
    iteration (training, validation or test) that ends ``every`` seconds or
    more after the last line, so a run whose iterations are slow never
    stays silent between the LoggerHook's lines. Iterations that the
    LoggerHook logs anyway are left to it.

    Args:
        every: seconds of silence before a progress line.
        what: the lines' prefix (default: the loop, e.g. ``train``).
    """

    priority = 'LOW'

    def __init__(self, every: float = 10.0, what: str = ''):
        self.every = every
        self.what = what
        self._t0 = self._last = 0.0
        self._start = 0

    def _begin(self, start: int = 0) -> None:
        self._t0 = self._last = time.monotonic()
        self._start = start

    def _interval(self, runner) -> int:
        for hook in runner.hooks:
            if isinstance(hook, LoggerHook):
                return hook.interval
        return 0

    def _maybe_log(self, runner, loop: str, done: int, total: int) -> None:
        now = time.monotonic()
        interval = self._interval(runner)
        if interval and done % interval == 0:  # the LoggerHook's line
            self._last = now
            return
        if now - self._last < self.every:
            return
        self._last = now
        ran = done - self._start
        per = (now - self._t0) / max(ran, 1)
        eta = fmt_seconds(per * max(total - done, 0))
        runner.logger.info(f'{self.what or loop}: iteration {done}/{total}, '
                           f'{per:.1f} s per iteration, ETA {eta}')

    def before_train(self, runner) -> None:
        self._begin(runner.iter)

    def _before_epoch(self, runner, mode: str = 'train') -> None:
        if mode != 'train':  # training counts from before_train (resume)
            self._begin()

    def _after_iter(self, runner, batch_idx: int, data_batch=None,
                    outputs: Optional[dict] = None,
                    mode: str = 'train') -> None:
        if mode == 'train':
            done, total = runner.iter + 1, runner.max_iters
        else:  # validation or test: the batches of its dataloader
            done = batch_idx + 1
            total = len(getattr(runner, f'{mode}_dataloader'))
        self._maybe_log(runner, mode, done, total)
