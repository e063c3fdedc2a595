"""Advance the EMA target network of any mmsoco algorithm from the runner's
iteration."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmsoco.registry import HOOKS


@HOOKS.register_module()
class MomentumTargetHook(Hook):
    """Before each training iteration, call
    ``model.update_target(runner.iter, runner.max_iters)`` (SoCo, SoCoC4:
    cosine momentum; InsLoc, InsLocC4: constant).

    ``k`` is the runner's global iteration, restored by ``--resume``, so a
    cosine schedule m(k) continues where it stopped (the reference keeps
    its own counter and restarts it). The update happens before the step's
    forward pass, so the target follows the online weights after the
    previous step. The current m is logged as ``ema_momentum``.
    """

    priority = 'NORMAL'

    def before_train_iter(self, runner, batch_idx: int,
                          data_batch=None) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        if not hasattr(model, 'update_target'):
            raise TypeError(f'{type(self).__name__} needs a model with '
                            f'update_target(k, total); '
                            f'{type(model).__name__} has none')
        m = model.update_target(runner.iter, runner.max_iters)
        runner.message_hub.update_scalar('train/ema_momentum', m)
