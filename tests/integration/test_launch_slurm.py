"""tools/slurm_train.sh: what it asks srun for, and a real run to completion.

The request tests replace srun by a script that records its arguments (no
Slurm needed). The real run uses a single-node Slurm (slurmctld, slurmd,
munged on loopback) started by tools/local_slurm.sh for the test and torn
down afterwards. .ci/run installs
Debian's slurm-wlm and munge so that this runs in CI.
"""
import os
import os.path as osp
import subprocess
import sys

import pytest

from ..helpers import (REPO, TOY_CONFIG, assert_ranks_in_lockstep,
                       free_port, load_rank_records)

SLURM_TRAIN = osp.join(REPO, 'tools', 'slurm_train.sh')


def test_slurm_train_two_tasks(slurm_cluster, tmp_path, tool_env):
    # a CPU cluster: GPUS_PER_NODE=0 requests no gres; PORT is the master port
    port = str(free_port())
    tool_env.pop('MASTER_PORT', None)
    tool_env.update(SLURM_CONF=slurm_cluster, GPUS='2', GPUS_PER_NODE='0',
                    TASKS_PER_NODE='2', CPUS_PER_TASK='1', PORT=port)
    work_dir = tmp_path / 'work'
    proc = subprocess.run(
        ['bash', SLURM_TRAIN, 'local', 'mmsoco-test', TOY_CONFIG,
         str(work_dir)],
        cwd=REPO, env=tool_env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    records = load_rank_records(work_dir, 2)
    assert_ranks_in_lockstep(records, max_iters=6)
    assert [r['master_port'] for r in records] == [port, port]


FAKE_SRUN = """#!/usr/bin/env bash
# records what slurm_train.sh asked for instead of running it
{ printf '%s\\n' "$@"; echo "MASTER_PORT=${MASTER_PORT:-}"; } > "$SRUN_LOG"
"""


@pytest.fixture
def fake_srun(tmp_path, tool_env):
    """srun that records its arguments, and an nvidia-smi that sees a GPU:
    the submitting host's GPUs must not decide the request."""
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    (bin_dir / 'srun').write_text(FAKE_SRUN)
    (bin_dir / 'nvidia-smi').write_text(
        '#!/bin/sh\necho "GPU 0: fake (UUID: GPU-0)"\n')
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    log = tmp_path / 'srun.log'
    for name in ('GPUS', 'GPUS_PER_NODE', 'TASKS_PER_NODE', 'GRES', 'PORT',
                 'MASTER_PORT', 'CPUS_PER_TASK', 'SRUN_ARGS'):
        tool_env.pop(name, None)
    tool_env.update(PATH=f'{bin_dir}{os.pathsep}{tool_env["PATH"]}',
                    SRUN_LOG=str(log))

    def run(**env):
        proc = subprocess.run(
            ['bash', SLURM_TRAIN, 'gpu', 'job', 'cfg.py', 'wd', '--amp'],
            env=dict(tool_env, **env), capture_output=True, text=True,
            timeout=60)
        lines = log.read_text().splitlines() if proc.returncode == 0 else []
        log.unlink(missing_ok=True)
        return proc, lines

    return run


@pytest.mark.parametrize('env, present, absent, port', [
    # mm defaults: 8 tasks, gpu:8 per node, whatever nvidia-smi says here
    ({}, ['--ntasks=8', '--gres=gpu:8', '--ntasks-per-node=8',
          '--cpus-per-task=5'], [], '29500'),
    (dict(GPUS='16', GPUS_PER_NODE='4', PORT='12345'),
     ['--ntasks=16', '--gres=gpu:4', '--ntasks-per-node=4'], [], '12345'),
    # CPU cluster: no gres at all; Slurm places the tasks
    (dict(GPUS='2', GPUS_PER_NODE='0', MASTER_PORT='23456'),
     ['--ntasks=2'], ['--gres', '--ntasks-per-node'], '23456'),
    (dict(GPUS='4', GPUS_PER_NODE='0', TASKS_PER_NODE='2'),
     ['--ntasks=4', '--ntasks-per-node=2'], ['--gres'], '29500'),
    # PORT wins over an inherited MASTER_PORT
    (dict(PORT='31000', MASTER_PORT='23456'), [], [], '31000'),
    (dict(GPUS_PER_NODE='4', GRES='gpu:a100:4'),
     ['--gres=gpu:a100:4', '--ntasks-per-node=4'], ['--gres=gpu:4'],
     '29500'),
    (dict(GPUS_PER_NODE='4', GRES=''), ['--ntasks-per-node=4'], ['--gres'],
     '29500'),
])
def test_slurm_train_request(fake_srun, env, present, absent, port):
    proc, args = fake_srun(**env)
    assert proc.returncode == 0, proc.stderr
    assert args[:2] == ['-p', 'gpu'] and '--job-name=job' in args
    for a in present:
        assert a in args, (a, args)
    for a in absent:
        assert not any(x.startswith(a) for x in args), (a, args)
    assert args[-1] == f'MASTER_PORT={port}'
    tail = args[args.index('--kill-on-bad-exit=1') + 1:-1]
    assert tail == [sys.executable, '-u', osp.join(REPO, 'tools', 'train.py'),
                    'cfg.py', '--work-dir=wd', '--launcher', 'slurm', '--amp']


def test_slurm_train_bad_numbers(fake_srun):
    proc, _ = fake_srun(GPUS_PER_NODE='eight')
    assert proc.returncode == 2
    assert proc.stderr.strip() == \
        'error: GPUS_PER_NODE=eight must be a whole number'


def _task_pids(work_dir):
    """PIDs of the train.py tasks (not srun) writing to ``work_dir``."""
    out = []
    for pid in filter(str.isdigit, os.listdir('/proc')):
        try:
            with open(f'/proc/{pid}/cmdline', 'rb') as f:
                args = f.read().split(b'\0')
        except OSError:
            continue
        if osp.basename(args[0]) != b'srun' and \
                any(a.endswith(b'train.py') for a in args) and \
                f'--work-dir={work_dir}'.encode() in args:
            out.append(int(pid))
    return out


def test_tasks_end_when_srun_is_killed(slurm_cluster, tmp_path, tool_env):
    """kill -9 of the srun that slurm_train.sh runs: Slurm ends the job
    (InactiveLimit), and with it both tasks."""
    import glob
    import signal
    import time
    cfg = tmp_path / 'endless.py'
    cfg.write_text(f'_base_ = [{TOY_CONFIG!r}]\n'
                   'train_cfg = dict(max_iters=10**7)\n'
                   'default_hooks = dict(logger=dict(interval=10**6))\n')
    tool_env.pop('MASTER_PORT', None)
    tool_env.update(SLURM_CONF=slurm_cluster, GPUS='2', GPUS_PER_NODE='0',
                    TASKS_PER_NODE='2', CPUS_PER_TASK='1',
                    PORT=str(free_port()))
    work_dir = tmp_path / 'work'
    proc = subprocess.Popen(
        ['bash', SLURM_TRAIN, 'local', 'mmsoco-kill', str(cfg),
         str(work_dir)], cwd=REPO, env=tool_env, stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL, start_new_session=True)
    tasks = []
    try:
        deadline = time.monotonic() + 240
        while not any('(train)' in open(p).read() for p in glob.glob(
                osp.join(work_dir, '*', '*.log'))):
            assert proc.poll() is None, 'srun ended early'
            assert time.monotonic() < deadline, 'training never started'
            time.sleep(0.5)
        tasks = _task_pids(work_dir)
        assert len(tasks) == 2, tasks
        os.kill(proc.pid, signal.SIGKILL)  # slurm_train.sh execs srun
        proc.wait(timeout=30)
        deadline = time.monotonic() + 150
        while _task_pids(work_dir) and time.monotonic() < deadline:
            time.sleep(1)
        assert not _task_pids(work_dir), 'tasks outlived srun'
    finally:
        for pid in _task_pids(work_dir):
            os.kill(pid, signal.SIGKILL)
