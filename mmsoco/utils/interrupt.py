"""Ctrl-C in a command-line tool: one line saying how to go on, no
traceback."""
import contextlib
import signal
import sys
from typing import Callable, Union

# the shell's exit status for a process stopped by SIGINT
INTERRUPTED_EXIT_CODE = 128 + signal.SIGINT


@contextlib.contextmanager
def exit_on_interrupt(advice: Union[str, Callable[[], str]]):
    """Turn a ``KeyboardInterrupt`` (Ctrl-C, SIGINT) raised inside the block
    into ``interrupted: <advice>`` on stderr and exit status 130.

    ``advice`` may be a callable, evaluated only when the interrupt comes
    (e.g. to name the latest checkpoint). A second Ctrl-C while the line is
    written is ignored, so it cannot print a traceback either.
    """
    try:
        yield
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        try:
            text = advice() if callable(advice) else advice
        except Exception:  # the advice must never hide the interrupt
            text = 'rerun the same command'
        print(f'interrupted: {text}', file=sys.stderr, flush=True)
        sys.exit(INTERRUPTED_EXIT_CODE)
