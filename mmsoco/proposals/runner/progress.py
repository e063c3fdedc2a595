"""What a run tells its user while it works: log lines and a progress line."""
import sys
import time
from typing import Optional

from mmsoco.utils.progress import fmt_seconds


def log(logger, msg: str) -> None:
    """One line to ``logger`` (INFO) or, without one, to stderr."""
    if logger is None:
        print(msg, file=sys.stderr, flush=True)
    else:
        logger.info(msg)


class Progress:
    """A plain 'done/total, rate, ETA' line, at most every ``every`` s."""

    def __init__(self, total: int, done: int = 0, every: float = 2.0,
                 stream=None, enabled: bool = True):
        self.total, self.done, self.bad = total, done, 0
        self.start_done, self.t0 = done, time.monotonic()
        self.every, self.last = every, 0.0
        self.stream = stream or sys.stderr
        self.enabled = enabled

    def update(self, n: int = 1, bad: int = 0) -> None:
        self.done += n
        self.bad += bad
        now = time.monotonic()
        if now - self.last >= self.every or self.done >= self.total:
            self.last = now
            self.print(now)

    def print(self, now: Optional[float] = None) -> None:
        if not self.enabled:
            return
        dt = max((now or time.monotonic()) - self.t0, 1e-9)
        rate = (self.done - self.start_done) / dt
        left = self.total - self.done
        eta = fmt_seconds(left / rate) if rate > 0 else '?'
        pct = 100.0 * self.done / max(self.total, 1)
        self.stream.write(
            f'proposals: {self.done}/{self.total} images ({pct:.1f}%), '
            f'{rate:.2f} img/s, ETA {eta}, {self.bad} bad\n')
        self.stream.flush()


__all__ = ['Progress', 'log']
