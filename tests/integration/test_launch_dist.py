"""tools/dist_train.sh really trains with 2 processes (gloo on CPU)."""
import glob
import os
import os.path as osp
import signal
import subprocess
import time

import pytest

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


def _children(pid):
    """PIDs of the direct children of ``pid`` (Linux /proc)."""
    out = []
    for task in os.listdir(f'/proc/{pid}/task'):
        with open(f'/proc/{pid}/task/{task}/children') as f:
            out += [int(p) for p in f.read().split()]
    return out


def _running(pid):
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().rsplit(')', 1)[1].split()[0] != 'Z'
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not osp.isdir('/proc'), reason='needs /proc')
def test_ranks_end_when_the_launcher_is_killed(tmp_path, tool_env):
    """kill -9 of torchrun (what dist_train.sh runs) ends both ranks."""
    cfg = tmp_path / 'endless.py'
    cfg.write_text(f'_base_ = [{TOY_CONFIG!r}]\n'
                   'train_cfg = dict(max_iters=10**7)\n'
                   'default_hooks = dict(logger=dict(interval=10**6))\n')
    tool_env['PORT'] = str(free_port())
    work = tmp_path / 'w'
    proc = subprocess.Popen(
        ['bash', osp.join(REPO, 'tools', 'dist_train.sh'), str(cfg), '2',
         '--work-dir', str(work)],
        cwd=REPO, env=tool_env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    ranks = []

    def first_iteration_logged():
        return any('(train)' in open(p).read()
                   for p in glob.glob(osp.join(work, '*', '*.log')))

    try:
        # the first iteration's log line: both ranks are training
        deadline = time.monotonic() + 240
        while not first_iteration_logged():
            assert proc.poll() is None, 'the launcher ended early'
            assert time.monotonic() < deadline, 'training never started'
            time.sleep(0.5)
        ranks = _children(proc.pid)  # dist_train.sh execs torchrun
        assert len(ranks) == 2, ranks
        os.kill(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)
        deadline = time.monotonic() + 20
        while any(map(_running, ranks)) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not any(map(_running, ranks)), 'ranks outlived torchrun'
    finally:
        for pid in [proc.pid] + ranks:
            if _running(pid):
                os.kill(pid, signal.SIGKILL)
