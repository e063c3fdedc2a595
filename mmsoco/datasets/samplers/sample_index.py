"""An index that carries the seed and epoch its views are drawn from."""
from typing import Tuple


class SampleIndex(int):
    """``int`` (the dataset index, so any dataset accepts it) with the
    sampler's ``seed`` and the ``epoch`` it was drawn in.

    ``SoCoDataset`` turns it into ``view_seed = (seed, epoch, index)``, from
    which every view transform seeds its generator: the sample's views are
    then a pure function of those three numbers, wherever and whenever the
    sample is loaded (any worker, any worker count, after ``--resume``).
    It crosses the DataLoader's index queue to the workers by pickling.
    """

    def __new__(cls, index: int, seed: int, epoch: int):
        if index < 0 or seed < 0 or epoch < 0:
            raise ValueError('SampleIndex needs index, seed and epoch >= 0, '
                             f'got {index}, {seed}, {epoch}')
        obj = super().__new__(cls, index)
        obj.seed, obj.epoch = int(seed), int(epoch)
        return obj

    @property
    def view_seed(self) -> Tuple[int, int, int]:
        return self.seed, self.epoch, int(self)

    def __reduce__(self):
        return SampleIndex, (int(self), self.seed, self.epoch)

    def __repr__(self) -> str:
        return (f'SampleIndex({int(self)}, seed={self.seed}, '
                f'epoch={self.epoch})')


__all__ = ['SampleIndex']
