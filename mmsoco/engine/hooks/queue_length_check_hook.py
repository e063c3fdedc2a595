"""Check a MoCo queue against the run before the first step: stop when it
cannot take a global batch, warn when it fills too late in the run."""
import logging
import math
from typing import Optional

from mmengine.dist import get_world_size
from mmengine.hooks import Hook
from mmengine.logging import print_log
from mmengine.model import is_model_wrapper

from mmsoco.registry import HOOKS

# the share of the run the queue may take to fill before the hook warns
LATE_FILL_SHARE = 0.1


class QueueTooShortError(ValueError):
    """The queue is shorter than the global batch (one-line message;
    ``tools/train.py`` prints it as ``error: ...`` on every rank, each rank
    checking the same numbers)."""


def late_fill_message(queue_len: int, global_batch: int, start_iter: int,
                      max_iters: int) -> Optional[str]:
    """One line when a queue of ``queue_len`` keys, starting empty (its
    random initial vectors) at ``start_iter``, fills after more than
    ``LATE_FILL_SHARE`` of a ``max_iters``-iteration run; else ``None``.

    Until it fills, part of every step's negatives are those random
    vectors. They lack the direction all real keys share, so the loss can
    fall without the network learning to tell objects apart
    (docs/mini_world.md, InsLoc). A run that loads weights with a full
    queue (``load_from``, not a resume) still starts at iteration 0 and is
    warned all the same.
    """
    fill = math.ceil(queue_len / global_batch)
    if start_iter >= fill or fill <= LATE_FILL_SHARE * max_iters:
        return None
    fits = int(LATE_FILL_SHARE * max_iters) * global_batch
    fix = (f'set model.queue_len <= {fits}' if fits >= global_batch else
           f'train for at least {math.ceil(fill / LATE_FILL_SHARE)} '
           'iterations')
    when = (f'only after {fill} of the run\'s {max_iters} iterations'
            if fill <= max_iters else
            f'after {fill} iterations, past the run\'s {max_iters}')
    return (f'the queue (queue_len={queue_len}) fills with real keys {when} '
            f'at global batch {global_batch}; until then part of the '
            'negatives are random vectors, which lack the direction all '
            'real keys share, so the loss can fall without the network '
            f'learning to tell objects apart; {fix} to fill it within '
            f'{LATE_FILL_SHARE:.0%} of the run')


@HOOKS.register_module()
class QueueLengthCheckHook(Hook):
    """Before training, call ``model.check_global_batch(batch per process x
    processes)`` (InsLoc and InsLocC4 have it) and stop with a one-line
    error if the queue is shorter than that; the model checks
    again at every step, so a model built without this hook still refuses.
    Then log a one-line warning (:func:`late_fill_message`) if the queue
    fills with real keys late in the run.
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
        global_batch = batch * get_world_size()
        try:
            check(global_batch)
        except ValueError as e:
            raise QueueTooShortError(str(e)) from None
        queue = getattr(model, 'queue', None)
        if queue is None:
            return
        msg = late_fill_message(queue.length, global_batch, runner.iter,
                                runner.max_iters)
        if msg:
            print_log(f'{type(model).__name__}: {msg}', logger='current',
                      level=logging.WARNING)
