"""mmsoco.engine.launcher: the launcher environment check and a rank that
ends with its launcher."""
import os
import subprocess
import sys
import textwrap
import time

import pytest

from mmsoco.engine.launcher import (LAUNCHERS, check_launcher,
                                    check_launcher_env)
from mmsoco.engine.train_errors import UsageError


def test_launcher_env_check_accepts_a_launched_process():
    """The check refuses only what mmengine would die on."""
    torchrun = dict(RANK='1', WORLD_SIZE='2', MASTER_ADDR='127.0.0.1',
                    MASTER_PORT='29500', LOCAL_RANK='1')
    check_launcher_env('pytorch', torchrun)
    check_launcher_env('none', {})
    check_launcher_env('slurm', dict(
        SLURM_PROCID='0', SLURM_NTASKS='2', SLURM_NODELIST='n1'))
    del torchrun['MASTER_PORT']
    with pytest.raises(UsageError, match=r'needs MASTER_PORT in'):
        check_launcher_env('pytorch', torchrun)


def test_unknown_launcher_names_the_valid_ones():
    with pytest.raises(UsageError, match="'mpi'.*none, pytorch, slurm"):
        check_launcher('mpi', {})
    for launcher in LAUNCHERS[:1]:
        check_launcher(launcher, {})


# A parent that starts a child watching it, prints the child's PID and
# waits (the child prints 'watching' to the same pipe); the test kills the
# parent with SIGKILL.
PARENT = textwrap.dedent('''
    import subprocess, sys
    child = subprocess.Popen([sys.executable, '-c', sys.argv[1]])
    print(child.pid, flush=True)
    child.wait()
''')
CHILD = textwrap.dedent('''
    import time
    from mmsoco.engine.launcher import end_with_parent
    end_with_parent(poll_s=0.1)
    print('watching', flush=True)
    time.sleep(120)
''')


def _alive(pid: int) -> bool:
    try:
        with open(f'/proc/{pid}/stat') as f:
            return f.read().split()[2] != 'Z'  # not a zombie
    except FileNotFoundError:
        return False


@pytest.mark.skipif(not os.path.isdir('/proc'), reason='needs /proc')
def test_child_ends_when_its_parent_is_killed():
    env = dict(os.environ)
    parent = subprocess.Popen([sys.executable, '-c', PARENT, CHILD],
                              stdout=subprocess.PIPE, text=True, env=env)
    child = int(parent.stdout.readline())
    try:
        assert parent.stdout.readline().strip() == 'watching'
        assert _alive(child)
        parent.kill()
        parent.wait()
        deadline = time.monotonic() + 10
        while _alive(child) and time.monotonic() < deadline:
            time.sleep(0.1)
        assert not _alive(child), 'the child outlived its parent'
    finally:
        if _alive(child):
            os.kill(child, 9)
