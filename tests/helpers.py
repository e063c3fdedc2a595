"""Small helpers shared by the model and Runner tests (not collected)."""
import torch
from mmengine.hooks import Hook


def build_model(cfg: dict, seed: int = 0):
    """An mmsoco model built from ``cfg`` under a fixed seed, initialised."""
    from mmsoco.registry import MODELS
    torch.manual_seed(seed)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


class RecordLoss(Hook):
    """Collects the total loss of every training iteration."""
    priority = 'LOWEST'

    def __init__(self):
        self.losses = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.losses.append(outputs['loss'].item())


class Crash(Exception):
    """Raised by :class:`CrashBeforeIter`."""


class CrashBeforeIter(Hook):
    """Simulate a job killed once iteration ``at`` is due: the checkpoint
    of the previous iteration or epoch is on disk."""
    priority = 'LOWEST'

    def __init__(self, at: int):
        self.at = at

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == self.at:
            raise Crash(f'killed before iteration {self.at}')


class CrashAfter(Hook):
    """Simulate a killed job: raise after iteration ``at`` (checkpoint
    already written, since the checkpoint hook runs first)."""
    priority = 'LOWEST'

    def __init__(self, at: int):
        self.at = at

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter == self.at:
            raise Crash(f'killed after iteration {self.at}')
