"""The README's main job, `python tools/train.py configs/soco_r18_fpn_1xb4-12iter_demo.py`,
shortened to 2 iterations: demo set built from scratch, training, checkpoint,
and a resume that continues from it."""
import os.path as osp
import re
import subprocess
import sys

import torch

from ..helpers import REPO


def train(tool_env, *args):
    return subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'train.py'),
         osp.join(REPO, 'configs', 'soco_r18_fpn_1xb4-12iter_demo.py'), *args],
        cwd=REPO, env=tool_env, capture_output=True, text=True, timeout=600)


def test_demo_main_job_trains_saves_and_resumes(tmp_path, tool_env):
    work = tmp_path / 'work'
    common = ['--work-dir', str(work), '--cfg-options',
              f'data_root={tmp_path}/soco_demo',
              f'train_dataloader.dataset.data_root={tmp_path}/soco_demo',
              'train_dataloader.num_workers=0']
    proc = train(tool_env, *common, 'train_cfg.max_iters=2',
                 'default_hooks.checkpoint.interval=2')
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert 'building the demo set' in log
    # the thread policy: tool_env sets OMP_NUM_THREADS=1
    # tools/train.py sets a passive OpenMP wait unless the caller chose one
    mine = any(tool_env.get(n) for n in ('OMP_WAIT_POLICY', 'GOMP_SPINCOUNT'))
    expected = 'threads: 1 (OMP_NUM_THREADS=1); OpenMP wait ' + (
        '' if mine else 'passive after 3000 spins;')
    assert expected in log
    losses = [float(v) for v in re.findall(r' loss: (-?[\d.]+)', log)]
    assert len(losses) == 2 and all(-4.0 <= v <= 4.0 for v in losses)
    ckpt = torch.load(work / 'iter_2.pth', weights_only=False,
                      map_location='cpu')
    assert ckpt['meta']['iter'] == 2
    assert any(k.startswith('target.') for k in ckpt['state_dict'])

    proc = train(tool_env, *common, 'train_cfg.max_iters=3',
                 'default_hooks.checkpoint.interval=3', '--resume')
    log = proc.stdout + proc.stderr
    assert proc.returncode == 0, log[-3000:]
    assert 'resumed' in log.lower() and 'Iter(train) [3/3]' in log
    assert 'building the demo set' not in log  # built once
