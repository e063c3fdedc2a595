"""What a failed training run says: one line naming the file or config key
and the fix, exit status 2."""
import sys
from typing import NoReturn, Optional

from mmsoco.utils.disk_full import disk_full_message

# the exit status of a run refused for bad input
USAGE_EXIT_CODE = 2


class UsageError(Exception):
    """A mistake in the command line or config, reported in one line."""


def fail(message: str) -> NoReturn:
    """``error: <message>`` on stderr, exit status 2."""
    print(f'error: {message}', file=sys.stderr, flush=True)
    sys.exit(USAGE_EXIT_CODE)


def train_error_message(exc: BaseException, cfg) -> Optional[str]:
    """One line for an error raised while a run was built or trained from
    ``cfg``; None for an error that is a bug (kept as a traceback)."""
    from mmsoco.datasets.errors import (DatasetConfigError,
                                        dataset_error_message)
    from mmsoco.engine.hooks import QueueTooShortError
    from mmsoco.transfer import ExportError, TransferMismatchError
    from mmsoco.utils.build_errors import build_error_message
    from mmsoco.utils.checkpoint_load import CheckpointFileError
    if isinstance(exc, DatasetConfigError):  # bad data root / store
        return dataset_error_message(exc)
    if isinstance(exc, (ExportError, TransferMismatchError,  # pretrained
                        QueueTooShortError,  # InsLoc queue vs batch
                        CheckpointFileError, UsageError)):
        return str(exc)
    full = disk_full_message(exc, f'the work dir {cfg.get("work_dir")}')
    if full is not None:
        return full
    if isinstance(exc, (KeyError, TypeError, ValueError, AssertionError)):
        return build_error_message(exc, cfg)  # a refused type or argument
    return None


__all__ = ['USAGE_EXIT_CODE', 'UsageError', 'fail', 'train_error_message']
