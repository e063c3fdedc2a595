"""Per-epoch notes on SoCo's training data."""
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
    from per-worker streams, which ``--resume`` does not replay. Datasets
    other than SoCoDataset are left alone.
    """

    priority = 'NORMAL'

    def before_train(self, runner) -> None:
        from mmsoco.datasets.samplers import (SeededDefaultSampler,
                                              SeededInfiniteSampler)
        loader = runner.train_dataloader
        if not hasattr(loader.dataset, 'fallback_message'):
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
