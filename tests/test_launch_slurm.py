"""tools/slurm_train.sh runs to completion under a real single-node Slurm.

The cluster (slurmctld, slurmd, munged on loopback) is started by
tools/local_slurm.sh for this test and torn down afterwards. .ci/run installs
Debian's slurm-wlm and munge so that this runs in CI.
"""
import os
import os.path as osp
import shutil
import subprocess

import pytest

from .conftest import REPO, free_port
from .test_launch_dist import TOY_CONFIG, assert_ranks_in_lockstep, \
    load_rank_records

LOCAL_SLURM = osp.join(REPO, 'tools', 'local_slurm.sh')


def slurm_unavailable_reason():
    if os.geteuid() != 0:
        return 'starting slurmd and munged needs root'
    missing = [b for b in ('slurmctld', 'slurmd', 'munged', 'srun')
               if shutil.which(b) is None]
    if missing:
        return (f'{", ".join(missing)} not installed '
                '(apt-get install slurm-wlm munge)')
    return None


@pytest.fixture
def slurm_cluster(tmp_path_factory):
    reason = slurm_unavailable_reason()
    if reason:
        pytest.skip(reason)
    state = str(tmp_path_factory.mktemp('slurm'))
    env = dict(os.environ, SLURMCTLD_PORT=str(free_port()),
               SLURMD_PORT=str(free_port()))
    started = subprocess.run(['bash', LOCAL_SLURM, 'start', state], env=env,
                             capture_output=True, text=True, timeout=120)
    try:
        if started.returncode != 0:
            pytest.fail('local Slurm did not start: ' + started.stderr[-2000:])
        yield osp.join(state, 'slurm.conf')
    finally:
        subprocess.run(['bash', LOCAL_SLURM, 'stop', state], timeout=60)


def test_slurm_train_two_tasks(slurm_cluster, tmp_path, tool_env):
    tool_env.update(SLURM_CONF=slurm_cluster, GPUS='2', GPUS_PER_NODE='2',
                    CPUS_PER_TASK='1', MASTER_PORT=str(free_port()))
    work_dir = tmp_path / 'work'
    proc = subprocess.run(
        ['bash', osp.join(REPO, 'tools', 'slurm_train.sh'), 'local',
         'mmsoco-test', TOY_CONFIG, str(work_dir)],
        cwd=REPO, env=tool_env, capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]
    assert_ranks_in_lockstep(load_rank_records(work_dir, 2), max_iters=6)
