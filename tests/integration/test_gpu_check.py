"""tools/gpu_check.sh: refuses in one line without CUDA, and its --cpu-smoke
mode runs every step (CUDA tests, train-step benchmark, proposals, data
loader benchmark, a short pretraining run) tiny on the CPU and prints and
saves one table. The numbers of a smoke run mean nothing; what is checked is
that every step ran and reached the table."""
import glob
import json
import os.path as osp
import subprocess

import pytest
import torch

from tests.helpers import REPO

GPU_CHECK = osp.join(REPO, 'tools', 'gpu_check.sh')


def gpu_check(tool_env, *args, timeout=600):
    """The script as a user runs it: mmsoco installed, the repository not
    on the Python path (its steps must not import the tests package)."""
    env = {k: v for k, v in tool_env.items() if k != 'PYTHONPATH'}
    return subprocess.run(['bash', GPU_CHECK, *args], env=env,
                          capture_output=True, text=True, timeout=timeout)


@pytest.mark.skipif(torch.cuda.is_available(), reason='CUDA is present')
def test_refuses_without_cuda_in_one_line(tool_env, tmp_path):
    proc = gpu_check(tool_env, '--work-dir', str(tmp_path / 'w'))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(
        'gpu_check: no CUDA device visible'), lines
    assert '--cpu-smoke' in lines[0]
    assert not (tmp_path / 'w').exists()


@pytest.mark.parametrize('args, message', [
    (['--images', '/nonexistent/images'], 'image folder /nonexistent/images'),
    (['--bogus'], 'unknown argument --bogus'),
])
def test_bad_input_is_one_line(tool_env, tmp_path, args, message):
    proc = gpu_check(tool_env, '--cpu-smoke', *args, '--work-dir',
                     str(tmp_path / 'w'))
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and message in lines[0], lines


def test_cpu_smoke_runs_every_step_into_one_table(tool_env, tmp_path,
                                                  small_photo_folder):
    work = tmp_path / 'work'
    proc = gpu_check(tool_env, '--cpu-smoke', '--images', small_photo_folder,
                     '--work-dir', str(work))
    runs = glob.glob(str(work / '2*'))
    assert len(runs) == 1, proc.stderr[-3000:]
    run = runs[0]
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    rows = [json.loads(line) for line in open(osp.join(run,
                                                       'results.jsonl'))]
    steps = {r['name']: r['rc'] for r in rows if r['check'] == 'step'}
    assert steps == dict(test_cuda=0, train_step=0, proposals=0,
                         data_loader=0, pretrain=0)
    table = open(osp.join(run, 'table.md')).read()
    assert table in proc.stdout  # printed and saved
    lines = table.splitlines()
    assert 'tools/gpu_check.sh --cpu-smoke' in lines[0]
    body = [line for line in lines if line.startswith('| ') and
            not line.startswith('| check')]
    assert [line.split(' | ')[0] for line in body] == [
        '| tests/integration/test_cuda.py', '| train step', '| train step',
        '| proposals', '| data loader', '| data loader', '| pretraining']
    assert 'skipped' in body[0]  # CUDA hidden: every CUDA test skips
    assert 'batch 2,' in body[1] and 'batch 3,' in body[2]
    assert all('images/s' in b and 'peak RSS' in b for b in body[1:3])
    assert '4 images' in body[3]
    assert body[4].startswith('| data loader | 1 workers')
    assert body[5].startswith('| data loader | 2 workers')
    assert all('samples/s' in b for b in body[4:6])
    assert '2 iterations' in body[6] and 'loss ' in body[6]
    assert all(b.endswith('| ok |') or 'ok (smoke' in b for b in body)
    # the pretraining run trained on the images and saved its checkpoint
    assert glob.glob(osp.join(run, 'pretrain', 'iter_2.pth'))
