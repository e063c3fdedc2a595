"""Errors a dataset raises for bad input (a missing data root, proposals
store or list file; a store made for another image set, or damaged).

Each message is one line naming the path and what to run. mmengine's
registry re-raises build errors as ``type(e)('class `X` in path.py: ' +
str(e))``, which keeps the class, so ``tools/train.py`` can catch these and
print the dataset's own line (:func:`dataset_error_message`) instead of a
traceback.
"""
import re

_BUILD_PREFIX = re.compile(r'^(class `[^`]+` in \S+?\.py: )+')
_EXC_PREFIX = re.compile(r'^[\w.]+(Error|Exception): ')


class DatasetConfigError(FileNotFoundError):
    """A path the dataset config names does not exist or holds nothing."""


class DatasetMismatchError(DatasetConfigError, ValueError):
    """The dataset's inputs exist but do not go together (e.g. a proposals
    store made for another image set, or for these images before they
    changed; too few images)."""


class ProposalStoreError(DatasetMismatchError):
    """The proposals store's files are damaged or were not written by
    ``tools/generate_proposals.py`` (truncated arrays, offsets out of
    range, keys that are not UTF-8, ...)."""


class TooManyBadImagesError(DatasetMismatchError):
    """More images failed to decode during training than the dataset's
    ``max_bad_share`` allows."""


def dataset_error_message(exc: BaseException) -> str:
    """The dataset's one-line message, without mmengine's build prefix.

    An error raised in a DataLoader worker reaches the main process with the
    worker's traceback in its message ("Caught X in DataLoader worker
    process 0. Original Traceback ..."); its last line, the original
    message, is kept.
    """
    text = str(exc)
    if 'Original Traceback' in text:
        last = [line for line in text.splitlines() if line.strip()][-1]
        text = _EXC_PREFIX.sub('', last)
    return _BUILD_PREFIX.sub('', text).strip()


__all__ = ['DatasetConfigError', 'DatasetMismatchError', 'ProposalStoreError',
           'TooManyBadImagesError', 'dataset_error_message']
