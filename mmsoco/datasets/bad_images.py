"""Images that cannot be used never kill a run.

Two moments, one module:

- **At start.** The proposals tool records the files it could not decode in
  its store (``report.json``: ``bad_files``, each a key and a reason).
  :func:`recorded_bad_files` reads them and :func:`leave_out_bad_files`
  drops them from a dataset's keys, logging them once.
- **In training.** A file that fails later (changed on disk, unreadable, a
  flaky network file system) makes the pipeline raise an ``OSError`` naming
  the path (``LoadImageRGB``). :func:`prepare_or_replace` then loads another
  sample instead. The replacements of index ``i`` are a pure function of the
  sampler's (seed, epoch, i) (:func:`replacement_candidates`), so a resumed
  run replays them exactly whatever the worker count. The failures travel
  with the replacement sample (its data sample's metainfo
  ``bad_images``) to the main process, where :class:`BadImageTally` (used by
  ``SoCoDataHook``) counts them, logs each image once per epoch and stops
  the run, in one line, once more than ``max_bad_share`` of the dataset has
  failed. Each process counts the samples it loaded; under DDP the ranks
  agree on stopping (:func:`any_rank`), so none waits for the others.
"""
import json
import logging
import os.path as osp
import zlib
from typing import Callable, Dict, Iterable, List, Optional, Sequence

import numpy as np

from .errors import DatasetConfigError, TooManyBadImagesError
from .samplers.sample_index import SampleIndex

BAD_IMAGES_META = 'bad_images'  # metainfo of a replacement sample
DEFAULT_MAX_BAD_SHARE = 0.05
MAX_TRIES = 8  # consecutive failures of one sample before giving up
_REPLACE_STREAM = zlib.crc32(b'replace-bad-image')


# -- at start: the proposals tool's record ---------------------------------
def recorded_bad_files(store_path: str) -> Dict[str, str]:
    """key -> reason of the files the proposals tool reported bad ({} for a
    store without a readable report)."""
    try:
        with open(osp.join(store_path, 'report.json')) as f:
            report = json.load(f)
        return {str(b['key']): str(b['reason'])
                for b in report.get('bad_files', [])}
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return {}


def leave_out_bad_files(keys: Sequence[str], bad: Dict[str, str],
                        dataset: str, store_path: str,
                        shown: int = 10) -> List[str]:
    """``keys`` without the recorded bad files; the ones left out are
    counted and named once in the log."""
    if not bad:
        return list(keys)
    kept = [k for k in keys if k not in bad]
    gone = [k for k in keys if k in bad]
    if gone:
        from mmengine.logging import MMLogger, print_log
        logger = MMLogger.get_current_instance()
        print_log(f'{dataset}: {len(gone)} of {len(keys)} images left out: '
                  f'the proposals tool could not use them (list: '
                  f'{osp.join(store_path, "bad_files.txt")}); fix or remove '
                  'them and remake the store to use them', logger=logger,
                  level=logging.WARNING)
        for key in gone[:shown]:
            print_log(f'  {key}: {bad[key]}', logger=logger,
                      level=logging.WARNING)
        if len(gone) > shown:
            print_log(f'  ... and {len(gone) - shown} more', logger=logger,
                      level=logging.WARNING)
    return kept


# -- in training: replace a sample whose image fails -----------------------
def replacement_candidates(idx: int, size: int,
                           count: int = MAX_TRIES) -> List[int]:
    """``count`` indices other than ``idx``, a pure function of the
    sampler's (seed, epoch) carried by a SampleIndex (0, 0 for a plain
    index), ``idx`` and ``size``."""
    if size < 2:
        return []
    seed, epoch = ((idx.seed, idx.epoch) if isinstance(idx, SampleIndex)
                   else (0, 0))
    rng = np.random.default_rng(np.random.SeedSequence(
        [int(seed), int(epoch), int(idx), _REPLACE_STREAM]))
    draws = rng.integers(0, size - 1, size=count)
    return [int(d) + int(d >= int(idx)) for d in draws]


def same_kind(idx: int, j: int) -> int:
    """Index ``j`` carrying ``idx``'s seed and epoch, if it has any."""
    if isinstance(idx, SampleIndex):
        return SampleIndex(j, idx.seed, idx.epoch)
    return j


def prepare_or_replace(idx: int, size: int, load: Callable[[int], dict],
                       dataset: str = 'dataset',
                       max_tries: int = MAX_TRIES) -> dict:
    """``load(idx)``; while it raises an OSError (an image that cannot be
    decoded), ``load`` of the next of :func:`replacement_candidates`,
    given as an index of ``idx``'s kind. The sample returned records the
    failures in its data sample's metainfo ``bad_images`` as (index, epoch,
    message) tuples. Raises TooManyBadImagesError (one line) when
    ``max_tries`` replacements fail too."""
    epoch = idx.epoch if isinstance(idx, SampleIndex) else None
    failures = []
    for j in [int(idx)] + replacement_candidates(idx, size, max_tries):
        try:
            out = load(same_kind(idx, j))
        except DatasetConfigError:
            raise
        except OSError as e:
            failures.append((j, epoch, _one_line(e)))
            continue
        if failures:
            mark_replaced(out, failures)
        return out
    raise TooManyBadImagesError(
        f'{dataset}: sample {int(idx)} and {len(failures) - 1} replacement(s)'
        f' all failed to load (last: {failures[-1][2]}); are the images '
        'still there and readable?')


def mark_replaced(sample: dict, failures: list) -> None:
    data_sample = sample.get('data_samples') if isinstance(sample,
                                                           dict) else None
    if hasattr(data_sample, 'set_metainfo'):
        data_sample.set_metainfo({BAD_IMAGES_META: list(failures)})


def _one_line(exc: BaseException) -> str:
    return ' '.join(str(exc).split()) or type(exc).__name__


def failures_in_batch(data_batch) -> list:
    """The (index, epoch, message) failures recorded in a collated batch."""
    samples = (data_batch.get('data_samples') if isinstance(data_batch, dict)
               else None)
    found = []
    for sample in samples if isinstance(samples, (list, tuple)) else ():
        metainfo = getattr(sample, 'metainfo', None) or {}
        found.extend(metainfo.get(BAD_IMAGES_META, ()))
    return found


class BadImageTally:
    """Counts, in the main process, the training-time failures of a dataset
    of ``size`` samples; :meth:`add` returns the log lines (each failing
    image once per epoch); :meth:`check` raises TooManyBadImagesError once
    more than ``max_share`` of the dataset failed."""

    def __init__(self, size: int, max_share: float = DEFAULT_MAX_BAD_SHARE,
                 dataset: str = 'dataset', fix: str = ''):
        self.size, self.max_share = max(int(size), 1), float(max_share)
        self.dataset, self.fix = dataset, fix
        self.failed: Dict[int, str] = {}  # index -> last message
        self.replaced = 0  # samples replaced so far
        self._logged = set()  # (epoch, index)

    def add(self, failures: Iterable, epoch: Optional[int]) -> List[str]:
        lines = []
        failures = list(failures)
        for index, sample_epoch, message in failures:
            self.failed[int(index)] = message
            when = sample_epoch if sample_epoch is not None else epoch
            if (when, int(index)) not in self._logged:
                self._logged.add((when, int(index)))
                shown = '?' if when is None else when + 1
                lines.append(
                    f'{self.dataset}: epoch {shown}: {message}; sample '
                    f'replaced by another ({len(self.failed)} of '
                    f'{self.size} images failed so far, '
                    f'{self.share:.1%}; the run stops above '
                    f'{self.max_share:.1%})')
        self.replaced += len(failures)
        return lines

    @property
    def share(self) -> float:
        return len(self.failed) / self.size

    @property
    def over(self) -> bool:
        return self.share > self.max_share

    def check(self, any_rank_over: bool = False) -> None:
        """Raise when this process is over the share, or (under DDP, where
        every rank must stop together) when another rank is."""
        if not self.over:
            if any_rank_over:
                raise TooManyBadImagesError(
                    f'{self.dataset}: another process stopped the run: more '
                    f'than max_bad_share={self.max_share:g} of the images it '
                    'loaded failed to decode (its log names them)')
            return
        example = next(iter(self.failed.values()))
        raise TooManyBadImagesError(
            f'{self.dataset}: {len(self.failed)} of {self.size} images '
            f'({self.share:.1%}) failed to decode during training, more than '
            f'max_bad_share={self.max_share:g} (e.g. {example}); fix or '
            'remove them' + (f' and remake the proposals with: {self.fix}'
                             if self.fix else '')
            + ', or raise train_dataloader.dataset.max_bad_share')


def any_rank(flag: bool) -> bool:
    """True when ``flag`` holds on any rank (a collective: every rank must
    call it; just ``flag`` without a process group)."""
    from mmengine.dist import all_reduce, get_world_size
    if get_world_size() < 2:
        return bool(flag)
    import torch
    value = torch.tensor([int(bool(flag))])
    all_reduce(value, op='max')
    return bool(value.item())


__all__ = ['BAD_IMAGES_META', 'any_rank', 'DEFAULT_MAX_BAD_SHARE', 'BadImageTally',
           'failures_in_batch', 'leave_out_bad_files', 'prepare_or_replace',
           'recorded_bad_files', 'replacement_candidates']
