"""mmengine's InfiniteSampler whose indices carry (seed, pass number)."""
from typing import Iterator

from mmengine.dataset import InfiniteSampler

from mmsoco.registry import DATA_SAMPLERS
from .sample_index import SampleIndex


@DATA_SAMPLERS.register_module()
class SeededInfiniteSampler(InfiniteSampler):
    """``InfiniteSampler`` (same endless stream of shuffled passes, same
    rank slicing) yielding :class:`SampleIndex` es whose epoch is the pass
    over the dataset the index belongs to.

    ``InfiniteSampler.set_epoch`` does nothing, so the epoch is counted from
    the stream itself: the ``n``-th index of rank ``r`` is element
    ``r + n * world_size`` of the global stream, which is a concatenation of
    permutations of ``size`` indices, so its pass is that position //
    ``size``. ``IterBasedTrainLoop`` resumes by advancing a fresh iterator
    over the already trained batches, so the count continues exactly.
    """

    def _indices_of_rank(self) -> Iterator[SampleIndex]:
        seed, rank, world, size = (self.seed, self.rank, self.world_size,
                                   self.size)
        for n, index in enumerate(super()._indices_of_rank()):
            yield SampleIndex(index, seed, (rank + n * world) // size)
