"""InsLoc's demo, `python tools/train.py configs/insloc_r18_fpn_1xb4-8iter_demo.py`,
shortened to 2 iterations: demo images built from scratch, training on the
composite pipeline, checkpoint; and a queue shorter than the global batch
stopping the same command with one line."""
import os.path as osp
import re
import subprocess
import sys

import torch

from ..helpers import REPO


def train(tool_env, *args):
    return subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'train.py'),
         osp.join(REPO, 'configs', 'insloc_r18_fpn_1xb4-8iter_demo.py'), *args],
        cwd=REPO, env=tool_env, capture_output=True, text=True, timeout=600)


def common_args(tmp_path):
    return ['--work-dir', str(tmp_path / 'work'), '--cfg-options',
            f'data_root={tmp_path}/soco_demo',
            f'train_dataloader.dataset.data_root={tmp_path}/soco_demo',
            'train_dataloader.num_workers=0']


def test_insloc_demo_trains_and_saves_a_checkpoint(tmp_path, tool_env):
    proc = train(tool_env, *common_args(tmp_path), 'train_cfg.max_iters=2',
                 'default_hooks.checkpoint.interval=2')
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert 'building the demo set' in log
    assert osp.isdir(tmp_path / 'soco_demo' / 'images')
    assert not osp.exists(tmp_path / 'soco_demo' / 'proposals')  # not needed
    losses = [float(v) for v in re.findall(r' loss: (-?[\d.]+)', log)]
    # 4 levels, each InfoNCE over 1 + 256 logits in [-5, 5]
    assert len(losses) == 2 and all(0 < v < 4 * (5.56 + 10) for v in losses)
    for level in range(2, 6):
        assert f'loss_p{level}: ' in log
    ckpt = torch.load(tmp_path / 'work' / 'iter_2.pth', weights_only=False,
                      map_location='cpu')
    assert ckpt['meta']['iter'] == 2
    state = ckpt['state_dict']
    assert state['queue.queue'].shape == (4, 256, 128)
    assert int(state['queue.ptr']) == 2 * 4  # two batches of 4 keys
    assert any(k.startswith('target.bbox_head.') for k in state)
    assert 'InsLoc' in ckpt['meta']['cfg']


def test_insloc_demo_queue_too_short_is_one_line(tmp_path, tool_env):
    proc = train(tool_env, *common_args(tmp_path), 'model.queue_len=2')
    assert proc.returncode == 2, (proc.stdout + proc.stderr)[-3000:]
    assert 'Traceback' not in proc.stderr
    assert proc.stderr.strip().splitlines()[-1] == (
        'error: InsLoc: queue_len=2 is shorter than the global batch 4 '
        '(batch per GPU x GPUs): each step enqueues the whole batch of '
        'keys; set model.queue_len >= 4 or use a smaller batch')
    assert not osp.exists(tmp_path / 'work' / 'iter_1.pth')
