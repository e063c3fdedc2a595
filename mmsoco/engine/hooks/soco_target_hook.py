"""Advance SoCo's EMA target network from the runner's iteration."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmsoco.registry import HOOKS


@HOOKS.register_module()
class SoCoTargetHook(Hook):
    """Before each training iteration, call
    ``model.update_target(runner.iter, runner.max_iters)``.

    ``k`` is the runner's global iteration, restored by ``--resume``, so the
    cosine schedule tau(k) continues where it stopped (the reference keeps
    its own counter and restarts it). The update happens before the step's
    forward pass, as in the reference (there it precedes the target
    forward, and the online weights are those after the previous step).
    The current tau is logged as ``ema_momentum``.
    """

    priority = 'NORMAL'

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if not hasattr(model, 'update_target'):
            raise TypeError(f'SoCoTargetHook needs a model with '
                            f'update_target(k, total); '
                            f'{type(model).__name__} has none')
        tau = model.update_target(runner.iter, runner.max_iters)
        runner.message_hub.update_scalar('train/ema_momentum', tau)
