"""Errors a dataset raises for bad input (a missing data root, proposals
store or list file; a store made for another image set).

Each message is one line naming the path and what to run. mmengine's
registry re-raises build errors as ``type(e)('class `X` in path.py: ' +
str(e))``, which keeps the class, so ``tools/train.py`` can catch these and
print the dataset's own line (:func:`dataset_error_message`) instead of a
traceback.
"""
import re

_BUILD_PREFIX = re.compile(r'^(class `[^`]+` in \S+?\.py: )+')


class DatasetConfigError(FileNotFoundError):
    """A path the dataset config names does not exist or holds nothing."""


class DatasetMismatchError(DatasetConfigError, ValueError):
    """The dataset's inputs exist but do not go together (e.g. a proposals
    store made for another image set, too few images)."""


def dataset_error_message(exc: BaseException) -> str:
    """The dataset's one-line message, without mmengine's build prefix."""
    return _BUILD_PREFIX.sub('', str(exc)).strip()


__all__ = ['DatasetConfigError', 'DatasetMismatchError',
           'dataset_error_message']
