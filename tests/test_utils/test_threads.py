"""The thread policy's arithmetic and overrides (mmsoco.utils.threads)."""
import os
import subprocess
import sys

import pytest

from mmsoco.utils.threads import (ThreadSettingError, available_cores,
                                  cgroup_cpu_limit, local_world_size,
                                  passive_wait, processes_per_node,
                                  threads_per_process)

from ..helpers import REPO


@pytest.mark.parametrize('cores,processes,threads', [
    (2, 1, 2), (2, 3, 1), (64, 9, 7), (64, 8, 8), (16, 4, 4), (1, 4, 1),
    (8, 0, 8)])
def test_cores_shared_by_processes(cores, processes, threads):
    n = max(1, processes)
    assert threads_per_process(processes, cores, environ={}) == (
        threads, f'{cores} cores / {n} process' + ('es' if n > 1 else ''))


def test_overrides_in_order():
    env = {'MMSOCO_NUM_THREADS': '3', 'OMP_NUM_THREADS': '5'}
    assert threads_per_process(4, 2, env) == (3, 'MMSOCO_NUM_THREADS=3')
    del env['MMSOCO_NUM_THREADS']
    assert threads_per_process(4, 2, env) == (5, 'OMP_NUM_THREADS=5')
    assert threads_per_process(4, 8, {'OMP_NUM_THREADS': ''})[0] == 2


@pytest.mark.parametrize('value', ['0', '-1', 'two', '1.5'])
def test_bad_setting_is_one_line(value):
    with pytest.raises(ThreadSettingError) as e:
        threads_per_process(1, 2, {'MMSOCO_NUM_THREADS': value})
    message = str(e.value)
    assert '\n' not in message
    assert message.startswith(f'MMSOCO_NUM_THREADS={value!r}')


def test_processes_count_workers_and_local_ranks():
    assert processes_per_node(2, {}) == 3
    assert processes_per_node(0, {}) == 1
    assert processes_per_node(4, {'LOCAL_WORLD_SIZE': '2'}) == 10
    assert local_world_size({'SLURM_NTASKS_PER_NODE': '4(x2)'}) == 4
    assert local_world_size({'LOCAL_WORLD_SIZE': '2',
                             'SLURM_NTASKS_PER_NODE': '8'}) == 2
    assert local_world_size({'LOCAL_WORLD_SIZE': 'x'}) == 1


def test_cgroup_quota(tmp_path):
    (tmp_path / 'cpu.max').write_text('150000 100000\n')
    assert cgroup_cpu_limit(str(tmp_path)) == 1.5
    (tmp_path / 'cpu.max').write_text('max 100000\n')
    assert cgroup_cpu_limit(str(tmp_path)) is None
    v1 = tmp_path / 'v1'
    (v1 / 'cpu').mkdir(parents=True)
    (v1 / 'cpu' / 'cpu.cfs_quota_us').write_text('100000\n')
    (v1 / 'cpu' / 'cpu.cfs_period_us').write_text('100000\n')
    assert cgroup_cpu_limit(str(v1)) == 1.0
    (v1 / 'cpu' / 'cpu.cfs_quota_us').write_text('-1\n')
    assert cgroup_cpu_limit(str(v1)) is None
    assert cgroup_cpu_limit(str(tmp_path / 'missing')) is None


def test_available_cores_respects_affinity_and_quota(tmp_path):
    affinity = len(os.sched_getaffinity(0))
    assert available_cores(str(tmp_path / 'none')) == affinity
    (tmp_path / 'cpu.max').write_text('50000 100000\n')  # half a core
    assert available_cores(str(tmp_path)) == 1


NUMBA_CHECK = """
import os, sys
from mmsoco.utils.threads import apply_threads
apply_threads(1, opencv=False, torch_threads=False)
import numba
assert numba.config.NUMBA_NUM_THREADS == 1, numba.config.NUMBA_NUM_THREADS
"""

NUMBA_RUNNING = """
import numba
numba.set_num_threads(2)  # starts numba's pool, as a parallel kernel would
from mmsoco.utils.threads import apply_threads
apply_threads(1, opencv=False, torch_threads=False)
assert numba.get_num_threads() == 1, numba.get_num_threads()
"""


@pytest.mark.parametrize('script,env', [
    (NUMBA_CHECK, {}), (NUMBA_RUNNING, {'NUMBA_NUM_THREADS': '2'})])
def test_numba_gets_the_count(script, env):
    """Before numba is imported (NUMBA_NUM_THREADS) and once its pool runs
    (numba.set_num_threads); each in a fresh interpreter."""
    import subprocess
    import sys
    full = {k: v for k, v in os.environ.items() if k != 'NUMBA_NUM_THREADS'}
    full.update(env)
    proc = subprocess.run([sys.executable, '-c', script], env=full,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]


def test_passive_wait_unless_the_user_chose(monkeypatch):
    import sys
    monkeypatch.delitem(sys.modules, 'torch')  # as before torch loads
    env = {}
    assert passive_wait(env) is True
    assert env == {'OMP_WAIT_POLICY': 'PASSIVE', 'GOMP_SPINCOUNT': '3000'}
    for mine in ({'OMP_WAIT_POLICY': 'ACTIVE'}, {'GOMP_SPINCOUNT': '0'}):
        env = dict(mine)
        assert passive_wait(env) is False
        assert env == mine
    monkeypatch.undo()  # torch loaded: too late to set it
    env = {}
    assert passive_wait(env) is False and env == {}


@pytest.mark.parametrize('tool,args', [
    ('tools/train.py', ['missing.py', '--cfg-options', 'a=1']),
    ('tools/probe.py', ['missing.pth', '--ann', 'a.json', '--images', 'img']),
    ('tools/transfer_chain.py', ['--help']),
    ('benchmarks/mini_world.py', ['--world', 'missing', '--work-dir',
                                  '{tmp}']),
    ('benchmarks/mini_world_detection.py', ['missing', '--init', 'random'])])
def test_tools_set_the_wait_before_torch_loads(tool, args, tmp_path):
    """--cfg-options loads mmengine while parsing, and import mmsoco then
    loads torch: the wait must be set before either (the mini-world
    benchmarks train detectors in their own process)."""
    script = f"""
import runpy, sys
import mmsoco.utils.threads as threads
seen = []
def spy(environ=None):
    seen.append('torch' in sys.modules)
    return real(environ)
real, threads.passive_wait = threads.passive_wait, spy
tool = runpy.run_path({os.path.join(REPO, tool)!r})
try:
    tool['main']({[a.format(tmp=tmp_path) for a in args]!r})
except SystemExit:
    pass
print(seen, 'torch' in sys.modules)
"""
    env = dict(os.environ)
    env.pop('OMP_WAIT_POLICY', None)
    out = subprocess.run([sys.executable, '-c', script], env=env, cwd=REPO,
                         capture_output=True, text=True, timeout=300)
    assert out.stdout.strip().splitlines()[-1] == '[False] True', (
        out.stdout + out.stderr)[-2000:]
