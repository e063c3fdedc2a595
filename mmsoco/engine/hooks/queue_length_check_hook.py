"""Stop before the first step when a MoCo queue cannot take a global batch.
"""
from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmsoco.registry import HOOKS


class QueueTooShortError(ValueError):
    """The queue is shorter than the global batch (one-line message;
    ``tools/train.py`` prints it as ``error: ...`` on every rank, each rank
    checking the same numbers)."""


@HOOKS.register_module()
class QueueLengthCheckHook(Hook):
    """Before training, call ``model.check_global_batch(batch per process x
    processes)`` (InsLoc and InsLocC4 have it) and stop with a one-line
    error if the queue is shorter than that; the model checks
    again at every step, so a model built without this hook still refuses.
    """

    priority = 'VERY_HIGH'

    def before_train(self, runner) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        check = getattr(model, 'check_global_batch', None)
        if check is None:
            raise TypeError(f'QueueLengthCheckHook needs a model with '
                            f'check_global_batch(n) (InsLoc, InsLocC4); '
                            f'{type(model).__name__} has none')
        batch = runner.train_dataloader.batch_size
        if batch is None:  # a batch_sampler sets the size; checked per step
            return
        try:
            check(batch * get_world_size())
        except ValueError as e:
            raise QueueTooShortError(str(e)) from None
