"""Ctrl-C in a command-line tool: one line saying how to go on, no
traceback; what a running job registered to save on the way out is saved
first."""
import contextlib
import signal
import sys
from typing import Callable, List, Union

# the shell's exit status for a process stopped by SIGINT
INTERRUPTED_EXIT_CODE = 128 + signal.SIGINT

_ON_INTERRUPT: List[Callable[[], None]] = []


def at_interrupt(fn: Callable[[], None]) -> Callable[[], None]:
    """Call ``fn()`` when Ctrl-C stops a tool running under
    :func:`exit_on_interrupt` (e.g. to draw what a run has recorded so
    far). Returns a function that removes ``fn`` again."""
    _ON_INTERRUPT.append(fn)

    def remove() -> None:
        if fn in _ON_INTERRUPT:
            _ON_INTERRUPT.remove(fn)

    return remove


@contextlib.contextmanager
def exit_on_interrupt(advice: Union[str, Callable[[], str]]):
    """Turn a ``KeyboardInterrupt`` (Ctrl-C, SIGINT) raised inside the block
    into ``interrupted: <advice>`` on stderr and exit status 130.

    The functions registered with :func:`at_interrupt` run first (their
    errors are ignored). ``advice`` may be a callable, evaluated only when
    the interrupt comes (e.g. to name the latest checkpoint). A second
    Ctrl-C while this happens is ignored, so it cannot print a traceback
    either.
    """
    try:
        yield
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        for fn in list(_ON_INTERRUPT):
            try:
                fn()
            except Exception:  # saving extras must never hide the interrupt
                pass
        try:
            text = advice() if callable(advice) else advice
        except Exception:  # the advice must never hide the interrupt
            text = 'rerun the same command'
        print(f'interrupted: {text}', file=sys.stderr, flush=True)
        sys.exit(INTERRUPTED_EXIT_CODE)
