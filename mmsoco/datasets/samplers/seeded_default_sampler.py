"""mmengine's DefaultSampler whose indices carry (seed, epoch)."""
from typing import Iterator

from mmengine.dataset import DefaultSampler

from mmsoco.registry import DATA_SAMPLERS
from .sample_index import SampleIndex


@DATA_SAMPLERS.register_module()
class SeededDefaultSampler(DefaultSampler):
    """``DefaultSampler`` (same order, same sharding across ranks) yielding
    :class:`SampleIndex` es tagged with the sampler's seed and its epoch.

    The epoch is the one mmengine gives every sampler through
    ``set_epoch``: ``DistSamplerSeedHook`` sets ``runner.epoch`` (restored by
    ``--resume``) before each epoch of ``EpochBasedTrainLoop``, and the
    iteration loop's dataloader iterator counts restarts. Indices travel to
    the workers with the epoch inside them, so persistent workers need no
    notice of a new epoch.
    """

    def __iter__(self) -> Iterator[SampleIndex]:
        seed, epoch = self.seed, self.epoch
        for index in super().__iter__():
            yield SampleIndex(index, seed, epoch)
