"""tools/slurm_proposals.sh: what it asks srun for, how each task gets its
shard, no merge after a failed task, and a real 2-task run on a local Slurm.

The request tests replace srun by a script that records its arguments and
then runs the task command NTASKS times with SLURM_PROCID / SLURM_NTASKS /
SLURM_CPUS_PER_TASK set, as srun would, and PYTHON by a script that records
its arguments instead of computing proposals (no Slurm, no images needed).
The real run uses the single-node Slurm of tools/local_slurm.sh (the
``slurm_cluster`` fixture) and the real tools/generate_proposals.py, and
checks that the merged store equals a single-node run file for file.
"""
import os
import os.path as osp
import subprocess
import sys

import pytest

from tests.helpers import REPO

LAUNCHER = osp.join(REPO, 'tools', 'slurm_proposals.sh')
TOOL = osp.join(REPO, 'tools', 'generate_proposals.py')

# Records each srun call (one argument per line, then '--'), then runs the
# task command (the first argument that is not an --option) once per task.
FAKE_SRUN = r"""#!/usr/bin/env bash
{ printf '%s\n' "$@"; echo '--'; } >> "$SRUN_LOG"
n=1; c=1
while [ $# -gt 0 ] && [[ $1 == --* ]]; do
  case $1 in --ntasks=*) n=${1#*=} ;; --cpus-per-task=*) c=${1#*=} ;; esac
  shift
done
rc=0
for ((i = 0; i < n; i++)); do
  SLURM_PROCID=$i SLURM_NTASKS=$n SLURM_CPUS_PER_TASK=$c "$@" || rc=1
done
exit $rc
"""
# Stands in for python: records its arguments; fails on FAIL_ARG.
FAKE_PYTHON = r"""#!/usr/bin/env bash
echo "$*" >> "$PY_LOG"
if [ -n "${FAIL_ARG:-}" ] && [[ " $* " == *" $FAIL_ARG "* ]]; then
  echo "task $SLURM_PROCID killed" >&2; exit 137
fi
"""
ENV_NAMES = ('NTASKS', 'CPUS_PER_TASK', 'TASKS_PER_NODE', 'MEM_PER_CPU',
             'JOB_NAME', 'SRUN_ARGS', 'FAIL_ARG')


@pytest.fixture
def fake_slurm(tmp_path, tool_env):
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    (bin_dir / 'srun').write_text(FAKE_SRUN)
    (bin_dir / 'fake-python').write_text(FAKE_PYTHON)
    for f in bin_dir.iterdir():
        f.chmod(0o755)
    srun_log, py_log = tmp_path / 'srun.log', tmp_path / 'python.log'
    for name in ENV_NAMES:
        tool_env.pop(name, None)
    tool_env.update(PATH=f'{bin_dir}{os.pathsep}{tool_env["PATH"]}',
                    SRUN_LOG=str(srun_log), PY_LOG=str(py_log),
                    PYTHON=str(bin_dir / 'fake-python'))

    def run(*args, **env):
        proc = subprocess.run(['bash', LAUNCHER, *args],
                              env=dict(tool_env, **env), capture_output=True,
                              text=True, timeout=60)
        calls = []
        if srun_log.exists():
            text = srun_log.read_text().split('--\n')
            calls = [c.splitlines() for c in text if c]
        runs = py_log.read_text().splitlines() if py_log.exists() else []
        srun_log.unlink(missing_ok=True)
        py_log.unlink(missing_ok=True)
        return proc, calls, runs

    return run


def test_request_and_one_shard_per_task(fake_slurm):
    proc, calls, runs = fake_slurm(
        'cpu', 'imgs', 'out', '--chunk-size', '64', NTASKS='3',
        CPUS_PER_TASK='4', TASKS_PER_NODE='1', MEM_PER_CPU='2G',
        SRUN_ARGS='--time=60')
    assert proc.returncode == 0, proc.stderr
    assert len(calls) == 2
    shards, merge = calls
    assert shards[:7] == ['--partition=cpu', '--job-name=proposals',
                          '--mem-per-cpu=2G', '--ntasks=3',
                          '--cpus-per-task=4', '--ntasks-per-node=1',
                          '--time=60']
    assert merge[:6] == ['--partition=cpu', '--job-name=proposals',
                         '--mem-per-cpu=2G', '--ntasks=1',
                         '--cpus-per-task=1', '--time=60']
    head = f'-u {TOOL} imgs out'
    # every task its own shard with its cores, then one merge, last
    assert runs == [
        f'{head} --chunk-size 64 --shard {i}/3 --workers 4' for i in range(3)
    ] + [f'{head} --merge --chunk-size 64']


def test_defaults(fake_slurm):
    proc, calls, runs = fake_slurm('p', 'imgs', 'out')
    assert proc.returncode == 0, proc.stderr
    shards, merge = calls
    assert '--ntasks=2' in shards and '--cpus-per-task=16' in shards
    assert not any(a.startswith(('--ntasks-per-node', '--mem-per-cpu'))
                   for a in shards + merge)
    assert runs[:2] == [f'-u {TOOL} imgs out --shard {i}/2 --workers 16'
                        for i in range(2)]
    assert runs[2] == f'-u {TOOL} imgs out --merge'


def test_failed_task_means_no_merge_and_says_rerun(fake_slurm):
    proc, calls, runs = fake_slurm('p', 'imgs', 'out', FAIL_ARG='1/2')
    assert proc.returncode == 1
    assert len(calls) == 1  # no merge step
    assert not any('--merge' in r for r in runs)
    last = proc.stderr.strip().splitlines()[-1]
    assert 'out.work/' in last and 'rerun the same command' in last


@pytest.mark.parametrize('args, env, message', [
    (('p', 'imgs'), {}, 'usage:'),
    (('p', 'imgs', 'out'), dict(NTASKS='two'),
     'error: NTASKS=two must be a whole number >= 1'),
    (('p', 'imgs', 'out'), dict(CPUS_PER_TASK='0'),
     'error: CPUS_PER_TASK=0 must be a whole number >= 1'),
    (('p', 'imgs', 'out', '--workers', '8'), {},
     'error: --workers is set by the launcher'),
    (('p', 'imgs', 'out', '--shard=0/2'), {},
     'error: --shard=0/2 is set by the launcher'),
])
def test_bad_input_is_one_line_and_launches_nothing(fake_slurm, args, env,
                                                    message):
    proc, calls, runs = fake_slurm(*args, **env)
    assert proc.returncode == 2
    lines = proc.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith(message), lines
    assert calls == [] and runs == []


def shard_support_missing():
    help_text = subprocess.run([sys.executable, TOOL, '--help'],
                               capture_output=True, text=True).stdout
    if '--shard' in help_text and '--merge' in help_text:
        return None
    return ('tools/generate_proposals.py has no --shard/--merge yet '
            ': the real Slurm run needs them')


def read_tree(root):
    return {osp.relpath(osp.join(d, f), root):
            open(osp.join(d, f), 'rb').read()
            for d, _, files in os.walk(root) for f in files}


def test_two_tasks_on_a_real_slurm_equal_a_single_run(tmp_path, tool_env,
                                                     small_photo_folder,
                                                     request):
    reason = shard_support_missing()
    if reason:
        pytest.skip(reason)
    slurm_conf = request.getfixturevalue('slurm_cluster')
    images = small_photo_folder
    args = ['--chunk-size', '1']
    single = str(tmp_path / 'single')
    proc = subprocess.run([sys.executable, TOOL, images, single, *args],
                          env=tool_env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    out = str(tmp_path / 'sharded')
    for name in ENV_NAMES:
        tool_env.pop(name, None)
    tool_env.update(SLURM_CONF=slurm_conf, NTASKS='2', CPUS_PER_TASK='1',
                    PYTHON=sys.executable)
    proc = subprocess.run(['bash', LAUNCHER, 'local', images, out, *args],
                          cwd=REPO, env=tool_env, capture_output=True,
                          text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert read_tree(out) == read_tree(single)
    assert not osp.exists(out + '.work')
