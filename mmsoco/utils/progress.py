"""A progress line for any long wait: ``what: done/total unit (pct%),
rate, ETA``, printed at most every ``every`` seconds and once at the end."""
import sys
import time
from typing import Optional


def fmt_seconds(s: float) -> str:
    """``1m05s`` / ``2h03m00s``."""
    s = int(round(s))
    return f'{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s' if s >= 3600 \
        else f'{s // 60}m{s % 60:02d}s'


class Progress:
    """Counts ``done`` of ``total`` things and prints one line per
    ``every`` seconds (the first after ``first`` seconds, so a quick job
    stays silent) with the rate and the time left.

    Args:
        total: how many things the job does.
        what: the line's prefix, e.g. ``probe``.
        unit: what is counted, e.g. ``images``.
        every: seconds between two lines.
        first: seconds before the first line.
        stream: where the lines go (default stderr).
    """

    def __init__(self, total: int, what: str, unit: str = 'items',
                 every: float = 10.0, first: Optional[float] = None,
                 stream=None):
        self.total, self.done = int(total), 0
        self.what, self.unit = what, unit
        self.every = every
        self.t0 = time.monotonic()
        self.next = self.t0 + (every if first is None else first)
        self.stream = stream or sys.stderr
        self.printed = 0

    def update(self, n: int = 1) -> None:
        self.done += n
        now = time.monotonic()
        if now >= self.next or (self.done >= self.total and self.printed):
            self.next = now + self.every
            self.stream.write(self.line(now) + '\n')
            self.stream.flush()
            self.printed += 1

    def line(self, now: Optional[float] = None) -> str:
        dt = max((now or time.monotonic()) - self.t0, 1e-9)
        rate = self.done / dt
        left = max(self.total - self.done, 0)
        eta = fmt_seconds(left / rate) if rate > 0 else '?'
        pct = 100.0 * self.done / max(self.total, 1)
        speed = f'{rate:.2f} {self.unit}/s' if rate >= 1 else \
            f'{1 / rate:.1f} s per {self.unit.rstrip("s")}' if rate > 0 \
            else '-'
        return (f'{self.what}: {self.done}/{self.total} {self.unit} '
                f'({pct:.0f}%), {speed}, elapsed {fmt_seconds(dt)}, '
                f'ETA {eta}')


__all__ = ['Progress', 'fmt_seconds']
