"""tools/dist_train.sh really trains with 2 processes (gloo on CPU)."""
import os.path as osp
import subprocess

from ..helpers import (REPO, TOY_CONFIG, assert_ranks_in_lockstep,
                       free_port, load_rank_records)


def test_dist_train_two_cpu_processes(tmp_path, tool_env):
    tool_env['PORT'] = str(free_port())
    proc = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), TOY_CONFIG, '2',
         '--work-dir', str(tmp_path)],
        cwd=REPO, env=tool_env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert_ranks_in_lockstep(load_rank_records(tmp_path, 2), max_iters=6)
