"""Small helpers shared by the model and Runner tests (not collected)."""
import os.path as osp

import pytest
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


def kill_and_resume(make, work_root: str, at: int, ckpt: str = '',
                    before_train=None):
    """The exact-resume protocol: ``make(work_dir, **options)`` builds a
    Runner (options: ``extra_hooks``, ``resume``, ``num_workers``). One run
    goes straight through; another is killed before iteration ``at``
    (:class:`CrashBeforeIter`), leaves ``ckpt`` (when given) and is resumed
    from it with 2 dataloader workers. ``before_train(straight)`` sees the
    straight runner before it trains. -> (straight, resumed), both trained.
    """
    straight = make(osp.join(work_root, 'straight'))
    if before_train is not None:
        before_train(straight)
    straight.train()
    killed_dir = osp.join(work_root, 'killed')
    killed = make(killed_dir, extra_hooks=[CrashBeforeIter(at)])
    with pytest.raises(Crash):
        killed.train()
    if ckpt:
        assert osp.isfile(osp.join(killed_dir, ckpt))
    resumed = make(killed_dir, resume=True, num_workers=2)
    resumed.train()
    return straight, resumed


def assert_same_state_dict(got_model, expected_model) -> None:
    """The two models hold exactly the same parameters and buffers."""
    expected, got = expected_model.state_dict(), got_model.state_dict()
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert torch.equal(got[key], value), key
