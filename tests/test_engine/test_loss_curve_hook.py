"""loss.png: the log's window mean and each iteration's loss, the LR on a
second axis; drawn at each checkpoint and when Ctrl-C stops the run."""
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.logging import HistoryBuffer

from mmsoco.engine.hooks import LossCurveHook
from mmsoco.engine.hooks.loss_curve_hook import window_mean
from mmsoco.utils.interrupt import INTERRUPTED_EXIT_CODE, exit_on_interrupt

PNG = b'\x89PNG\r\n\x1a\n'


def test_window_mean_is_the_log_processors_mean():
    """mmengine's LogProcessor prints HistoryBuffer.mean(window_size)."""
    values = [5.0, 3.0, 4.0, 8.0, 1.0, 2.0, 7.0, 6.0, 0.5, 9.0, 3.5, 2.5]
    buf = HistoryBuffer()
    logged = []
    for v in values:
        buf.update(v)
        logged.append(buf.mean(4))
    points = list(enumerate(values, 1))
    assert window_mean(points, 4) == pytest.approx(logged)


class FakeOptimWrapper:

    def __init__(self):
        self.lr = 0.1

    def get_lr(self):
        return dict(lr=[self.lr])


def fake_runner(work_dir):
    return SimpleNamespace(iter=0, work_dir=str(work_dir),
                           experiment_name='test',
                           optim_wrapper=FakeOptimWrapper(),
                           log_processor=SimpleNamespace(window_size=3))


def train(hook, runner, n):
    for i in range(n):
        runner.iter = i
        runner.optim_wrapper.lr = 0.1 * (n - i) / n
        hook.after_train_iter(runner, i, outputs=dict(
            loss=torch.tensor(float(10 - i))))


def test_drawn_at_each_checkpoint_with_the_lr(tmp_path):
    hook, runner = LossCurveHook(), fake_runner(tmp_path)
    hook.before_train(runner)
    train(hook, runner, 4)
    assert [it for it, _ in hook.lrs] == [1, 2, 3, 4]
    assert [lr for _, lr in hook.lrs] == pytest.approx([0.1, 0.075, 0.05, 0.025])
    png = tmp_path / 'loss.png'
    assert not png.exists()
    ckpt = {}
    hook.before_save_checkpoint(runner, ckpt)
    assert png.read_bytes()[:8] == PNG
    assert ckpt['meta']['loss_curve']['lrs'] == hook.lrs
    resumed = LossCurveHook()
    resumed.after_load_checkpoint(runner, ckpt)
    assert resumed.lrs == hook.lrs and resumed.losses == hook.losses
    hook.after_train(runner)


def test_drawn_when_ctrl_c_stops_the_run(tmp_path):
    hook, runner = LossCurveHook(), fake_runner(tmp_path)
    with pytest.raises(SystemExit) as stop:
        with exit_on_interrupt('rerun'):
            hook.before_train(runner)
            train(hook, runner, 3)
            raise KeyboardInterrupt
    assert stop.value.code == INTERRUPTED_EXIT_CODE
    assert (tmp_path / 'loss.png').read_bytes()[:8] == PNG
    # a finished run no longer draws on a later interrupt
    hook.after_train(runner)
    other = tmp_path / 'other'
    runner.work_dir = str(other)
    with pytest.raises(SystemExit):
        with exit_on_interrupt('rerun'):
            raise KeyboardInterrupt
    assert not osp.exists(other / 'loss.png')
