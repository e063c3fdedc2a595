"""tools/train.py --iters / --epochs / --cfg-options train_cfg.max_iters:
the LR schedule ends with the run; Ctrl-C stops it with one line."""
import json
import os
import os.path as osp
import signal
import subprocess
import sys
import time

import pytest
import torch

from ..helpers import (REPO, TOY_CONFIG, TRAIN, last_cosine_step, run_train,
                       sigint_default)

SOCO_SCHEDULE = osp.join(REPO, 'configs/_base_/schedules/soco_lars_100ep.py')
TOY_LR = 0.05  # tests/dist_toy/toy_config.py


def toy_with_schedule(tmp_path, train_cfg, schedulers, extra=''):
    """The toy regressor (tests/dist_toy) with a given loop and schedule,
    following the run length like mmsoco's configs."""
    cfg = tmp_path / 'toy_sched.py'
    cfg.write_text(
        f'_base_ = [{TOY_CONFIG!r}]\n'
        f'train_cfg = dict(_delete_=True, **{train_cfg!r})\n'
        f'param_scheduler = {schedulers!r}\n'
        'schedule_follows_length = True\n' + extra)
    return str(cfg)


def soco_schedule():
    from mmengine.config import Config
    return [dict(s) for s in Config.fromfile(SOCO_SCHEDULE).param_scheduler]


def logged(work_dir):
    """(iteration, lr) of every logged training iteration."""
    (scalars, ) = list(work_dir.glob('*/vis_data/scalars.json'))
    rows = [json.loads(line) for line in scalars.read_text().splitlines()]
    return [(r['iter'], r['lr']) for r in rows if 'lr' in r]


def test_iters_rescales_the_shipped_soco_schedule(tmp_path, tool_env):
    """--iters 10 on SoCo's 100-epoch schedule: the cosine ends at
    iteration 10 (LR 3 % of the peak there, not 0.88 of it)."""
    cfg = toy_with_schedule(tmp_path, dict(type='EpochBasedTrainLoop',
                                           max_epochs=100), soco_schedule())
    work = tmp_path / 'w'
    proc = run_train([cfg, '--work-dir', str(work), '--iters', '10'],
                     tool_env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'run rescaled from 100 epochs to 10 iterations' in proc.stdout
    rows = logged(work)
    assert [i for i, _ in rows] == list(range(1, 11))  # logged every iter
    assert rows[0][1] == pytest.approx(TOY_LR)  # 1-iter warm-up dropped
    assert rows[-1][1] == pytest.approx(last_cosine_step(9, TOY_LR, 1e-6))
    assert rows[-1][1] < 0.035 * TOY_LR
    # one checkpoint, at the end, in iterations
    ckpt = torch.load(work / 'iter_10.pth', weights_only=False)
    assert ckpt['meta']['iter'] == 10


def test_cfg_options_max_iters_ends_the_schedule(tmp_path, tool_env):
    """A schedule written for 12 iterations, run for 10 through
    --cfg-options train_cfg.max_iters=10: it ends at 10."""
    scheds = [
        dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
             end=2),
        dict(type='CosineAnnealingLR', T_max=10, eta_min=1e-6,
             by_epoch=False, begin=2, end=12)]
    cfg = toy_with_schedule(
        tmp_path, dict(type='IterBasedTrainLoop', max_iters=12), scheds)
    work = tmp_path / 'w'
    proc = run_train([cfg, '--work-dir', str(work), '--cfg-options',
                      'train_cfg.max_iters=10'], tool_env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert 'written for 12 iterations stretched' in proc.stdout
    rows = logged(work)
    assert len(rows) == 10
    assert rows[0][1] == pytest.approx(TOY_LR * 0.01)  # warm-up kept
    assert rows[-1][1] == pytest.approx(last_cosine_step(8, TOY_LR, 1e-6))


def test_epochs_counts_passes(tmp_path, tool_env):
    """--epochs 2 on an iteration config: 2 passes over the 64 samples
    (16 batches each), the cosine ending with the second."""
    scheds = [dict(type='CosineAnnealingLR', T_max=6, eta_min=0.,
                   by_epoch=False, begin=0, end=6)]
    cfg = toy_with_schedule(
        tmp_path, dict(type='IterBasedTrainLoop', max_iters=6), scheds)
    work = tmp_path / 'w'
    proc = run_train([cfg, '--work-dir', str(work), '--epochs', '2'],
                     tool_env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    record = torch.load(work / 'rank0.pt', weights_only=False)
    assert record['iters'] == list(range(32))
    assert osp.isfile(work / 'epoch_2.pth')
    rows = logged(work)
    assert rows[-1][1] == pytest.approx(TOY_LR * last_cosine_step(32, 1.0,
                                                                  0.))


def test_tensorboard_flag(tmp_path, tool_env):
    """--tensorboard adds mmengine's TensorboardVisBackend (or says in one
    line that the package is missing and trains on)."""
    work = tmp_path / 'w'
    proc = run_train([TOY_CONFIG, '--work-dir', str(work), '--tensorboard',
                      '--cfg-options', 'train_cfg.max_iters=2'], tool_env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        assert 'tensorboard package is not installed' in proc.stderr
        return
    assert list(work.glob('*/vis_data/events.out.tfevents.*'))


def wait_for(predicate, proc, seconds=240):
    deadline = time.monotonic() + seconds
    while not predicate():
        assert proc.poll() is None, proc.communicate()[1][-3000:]
        assert time.monotonic() < deadline, 'the run never got there'
        time.sleep(0.2)


def test_ctrl_c_stops_training_with_one_line(tmp_path, tool_env):
    """SIGINT to the whole process group (what Ctrl-C in a terminal does,
    DataLoader workers included) after a checkpoint: one line with the
    command that resumes, exit status 130, no traceback."""
    cfg = tmp_path / 'long.py'
    cfg.write_text(
        f'_base_ = [{TOY_CONFIG!r}]\n'
        'train_cfg = dict(max_iters=10**6)\n'
        'train_dataloader = dict(num_workers=2, persistent_workers=True)\n'
        'default_hooks = dict(checkpoint=dict(by_epoch=False, interval=20),'
        ' logger=dict(interval=50))\n')
    work = tmp_path / 'w'
    proc = subprocess.Popen(
        [sys.executable, TRAIN, str(cfg), '--work-dir', str(work)], cwd=REPO,
        env=tool_env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
        text=True, start_new_session=True, preexec_fn=sigint_default)
    try:
        wait_for(lambda: osp.isfile(work / 'last_checkpoint'), proc)
        os.killpg(proc.pid, signal.SIGINT)
        _, err = proc.communicate(timeout=120)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == 130, err[-3000:]
    assert 'Traceback' not in err, err[-3000:]
    last = err.strip().splitlines()[-1]
    assert last.startswith('interrupted: resume from '), err[-3000:]
    assert 'iter_' in last and last.endswith(
        f'tools/train.py {cfg} --work-dir {work} --resume')


def test_ctrl_c_stops_export_with_one_line(tmp_path, tool_env):
    """SIGINT while the export is being made: one line, nothing written."""
    out = tmp_path / 'soco_mmdet.pth'
    # export_weights.py, with the conversion held until the signal comes
    hold = (
        'import runpy, sys, time\n'
        'import mmsoco.transfer as t\n'
        'def slow(*a, **k):\n'
        '    print("converting", flush=True); time.sleep(600)\n'
        't.export_checkpoint = slow\n'
        f'sys.argv = ["export_weights.py", {str(tmp_path / "in.pth")!r}, '
        f'{str(out)!r}]\n'
        f'runpy.run_path({osp.join(REPO, "tools/export_weights.py")!r}, '
        'run_name="__main__")\n')
    (tmp_path / 'in.pth').write_bytes(b'')
    proc = subprocess.Popen([sys.executable, '-c', hold], cwd=REPO,
                            env=tool_env, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, text=True,
                            preexec_fn=sigint_default)
    try:
        assert proc.stdout.readline().strip() == 'converting'
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 130, err[-3000:]
    assert 'Traceback' not in err
    assert err.strip().splitlines()[-1] == (
        f'interrupted: {out} was not written (any earlier file there is '
        'unchanged); rerun the same command')
    assert not out.exists()
