"""Per-epoch notes on SoCo's training data, and its bad images."""
from typing import Optional

from mmengine.hooks import Hook

from mmsoco.registry import HOOKS


def train_sampler(loader):
    """The sampler that yields the loader's indices."""
    batch_sampler = getattr(loader, 'batch_sampler', None)
    inner = getattr(batch_sampler, 'sampler', None)
    return inner if inner is not None else getattr(loader, 'sampler', None)


@HOOKS.register_module()
class SoCoDataHook(Hook):
    """Logs, before every training epoch, how many images of the
    ``SoCoDataset`` use the whole image as their one box (missing from the
    proposals store or with no proposal); and warns once, before training,
    when the sampler's indices carry no (seed, epoch): the views then come
    from per-worker streams, which ``--resume`` does not replay.

    Bad images (any dataset using ``mmsoco.datasets.bad_images``, e.g.
    SoCoDataset, InsLocDataset): before every iteration it takes the
    decode failures that the batch's replacement samples carry, logs each
    failing image once per epoch with its path and reason, and stops the
    run (``TooManyBadImagesError``, one line from tools/train.py) once more
    than the dataset's ``max_bad_share`` (default 5 %) of its images failed.
    Each rank counts the samples it loaded; under DDP all ranks stop as soon
    as one is over the share.
    """

    priority = 'NORMAL'

    def __init__(self):
        self.tally = None

    def before_train(self, runner) -> None:
        from mmsoco.datasets.bad_images import (DEFAULT_MAX_BAD_SHARE,
                                                BadImageTally)
        from mmsoco.datasets.samplers import (SeededDefaultSampler,
                                              SeededInfiniteSampler)
        loader = runner.train_dataloader
        dataset = loader.dataset
        fix = getattr(dataset, 'store_command', None)
        self.tally = BadImageTally(
            len(dataset), getattr(dataset, 'max_bad_share',
                                  DEFAULT_MAX_BAD_SHARE),
            type(dataset).__name__, fix(overwrite=True) if fix else '')
        if not hasattr(dataset, 'fallback_message'):
            return
        sampler = train_sampler(loader)
        if not isinstance(sampler,
                          (SeededDefaultSampler, SeededInfiniteSampler)):
            runner.logger.warning(
                f'SoCoDataHook: the train sampler {type(sampler).__name__} '
                'gives plain indices, so the views come from per-worker '
                'random streams and a resumed run will not see the views '
                'of an uninterrupted one; use SeededDefaultSampler or '
                'SeededInfiniteSampler')

    def before_train_epoch(self, runner) -> None:
        dataset = runner.train_dataloader.dataset
        message = getattr(dataset, 'fallback_message', lambda: None)()
        if message:
            runner.logger.warning(f'epoch {runner.epoch + 1}: {message}')

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch: Optional[dict] = None) -> None:
        from mmsoco.datasets.bad_images import any_rank, failures_in_batch
        if self.tally is None:
            return
        failures = failures_in_batch(data_batch)
        for line in self.tally.add(failures, runner.epoch):
            runner.logger.warning(line)
        # every rank takes part, so all stop together (one small collective
        # per iteration under DDP, none in one process)
        self.tally.check(any_rank(self.tally.over))

    def after_train_epoch(self, runner) -> None:
        if self.tally is not None and self.tally.replaced:
            runner.logger.warning(
                f'epoch {runner.epoch + 1}: {self.tally.replaced} sample(s) '
                f'replaced so far; {len(self.tally.failed)} image(s) failed '
                'to decode (logged above)')
