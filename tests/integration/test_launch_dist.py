"""tools/dist_train.sh really trains with 2 processes (gloo on CPU)."""
import os.path as osp
import subprocess

import torch

from ..conftest import REPO, free_port

TOY_CONFIG = osp.join(REPO, 'tests', 'dist_toy', 'toy_config.py')


def load_rank_records(work_dir, world_size):
    return [torch.load(osp.join(work_dir, f'rank{r}.pt'), weights_only=False)
            for r in range(world_size)]


def assert_ranks_in_lockstep(records, max_iters):
    for rec in records:
        assert rec['world_size'] == len(records)
        assert rec['iters'] == list(range(max_iters))  # runner.iter, 0-based
    first = records[0]['params']
    for rec in records[1:]:
        assert first.keys() == rec['params'].keys()
        for name, value in first.items():
            assert torch.equal(value, rec['params'][name]), name
    # training moved the parameters away from the seeded initialisation
    assert any(v.abs().sum() > 0 for v in first.values())


def test_dist_train_two_cpu_processes(tmp_path, tool_env):
    tool_env['PORT'] = str(free_port())
    proc = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), TOY_CONFIG, '2',
         '--work-dir', str(tmp_path)],
        cwd=REPO, env=tool_env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert_ranks_in_lockstep(load_rank_records(tmp_path, 2), max_iters=6)
