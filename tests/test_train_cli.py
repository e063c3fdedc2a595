"""tools/train.py turns command-line mistakes into one line naming them."""
import os.path as osp
import subprocess
import sys

import pytest

from .conftest import REPO
from .test_launch_dist import TOY_CONFIG

TRAIN = osp.join(REPO, 'tools', 'train.py')


def run_train(args, tool_env, cwd=REPO):
    return subprocess.run([sys.executable, TRAIN, *args], cwd=cwd,
                          env=tool_env, capture_output=True, text=True,
                          timeout=300)


def assert_one_line_error(proc, *needles):
    assert proc.returncode != 0
    err = proc.stderr.strip().splitlines()
    assert 'Traceback' not in proc.stderr
    assert err[-1].startswith('error:'), proc.stderr[-2000:]
    for needle in needles:
        assert needle in err[-1], err[-1]


@pytest.mark.parametrize('args, needles', [
    (['configs/no_such_config.py'], ['no_such_config.py', 'not found']),
    ([TOY_CONFIG, '--launcher', 'mpi'], ["'mpi'", 'pytorch', 'slurm']),
    ([TOY_CONFIG, '--cfg-options', 'train_cfg.max_iter=1'],
     ["'train_cfg.max_iter'", 'does not exist']),
    ([TOY_CONFIG, '--cfg-options', 'nosuch.key=1'], ["'nosuch.key'"]),
    ([TOY_CONFIG, '--resume', 'missing.pth'], ['missing.pth']),
])
def test_bad_input_gives_one_line(args, needles, tool_env):
    assert_one_line_error(run_train(args, tool_env), *needles)


def test_existing_cfg_options_train(tmp_path, tool_env):
    proc = run_train([TOY_CONFIG, '--work-dir', str(tmp_path),
                      '--cfg-options', 'train_cfg.max_iters=2',
                      'model.width=4'], tool_env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import torch
    record = torch.load(tmp_path / 'rank0.pt', weights_only=False)
    assert record['iters'] == [0, 1]
    assert record['params']['body.0.weight'].shape == (4, 4)


def test_amp_runs_on_cpu(tmp_path, tool_env):
    """--amp: fp16 + loss scaling on CUDA; on the CPU, bf16 autocast."""
    proc = run_train([TOY_CONFIG, '--work-dir', str(tmp_path), '--amp',
                      '--cfg-options', 'train_cfg.max_iters=2'], tool_env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import torch
    expected = 'AmpOptimWrapper' if torch.cuda.is_available() else \
        'CPUAmpOptimWrapper'
    assert f"type='{expected}'" in proc.stdout + proc.stderr
    record = torch.load(tmp_path / 'rank0.pt', weights_only=False)
    assert record['dtype'] == ('torch.float16' if torch.cuda.is_available()
                               else 'torch.bfloat16')
