"""SIGKILL of a real training run while it saves a checkpoint, then
``tools/train.py --resume``: the newest complete checkpoint is there, named
by ``last_checkpoint``, and the resumed run ends where a run that was never
killed ends.

The run keeps one checkpoint (``max_keep_ckpts=1``, as the demo configs)
and saves after every iteration; it is killed while it saves the one of
iteration 3, at one of three moments: half of the new file written (under
its temporary name), the new file renamed into place but
``last_checkpoint`` not yet rewritten, and ``last_checkpoint`` rewritten
but the old checkpoint not yet removed.
"""
import os
import os.path as osp
import signal
import subprocess
import sys
import textwrap
import time

import pytest
import torch

from mmsoco.utils.atomic_checkpoints import is_complete

from ..helpers import REPO, TOY_CONFIG, TRAIN, run_train

MAX_ITERS = 4
KILLED_AT = 3  # the checkpoint being saved when the kill comes

# Runs tools/train.py with one step of the checkpoint save held: at the
# chosen moment of saving iter_3.pth it touches READY and sleeps.
HELD_RUN = textwrap.dedent('''
    import runpy, sys, time
    moment, ready, *argv = sys.argv[1:]
    import mmsoco
    from mmsoco.utils import atomic_checkpoints as ac

    def hold():
        open(ready, 'w').close()
        time.sleep(600)

    target = 'iter_%d.pth'
    if moment == 'writing':
        write_bytes = ac.write_bytes
        def half_write(path, data):
            if target in path:
                with open(path, 'wb') as f:
                    f.write(bytes(data)[:len(data) // 2])
                    f.flush()
                    hold()
            return write_bytes(path, data)
        ac.write_bytes = half_write
    elif moment == 'renamed':
        atomic_write = ac.atomic_write
        def held_write(path, data, *a, **k):
            if str(data).endswith(target):
                hold()
            return atomic_write(path, data, *a, **k)
        ac.atomic_write = held_write
    elif moment == 'pruning':
        remove = ac._remove
        def held_remove(hook, step):
            if step == %d - 1:
                hold()
            return remove(hook, step)
        ac._remove = held_remove
    sys.argv = ['tools/train.py', *argv]
    runpy.run_path(sys.argv[0], run_name='__main__')
''' % (KILLED_AT, KILLED_AT))


def toy_config(tmp_path):
    cfg = tmp_path / 'keep_one.py'
    cfg.write_text(
        f'_base_ = [{TOY_CONFIG!r}]\n'
        f'train_cfg = dict(max_iters={MAX_ITERS})\n'
        'default_hooks = dict(checkpoint=dict(by_epoch=False, interval=1, '
        'max_keep_ckpts=1))\n')
    return str(cfg)


@pytest.fixture(scope='module')
def straight_params(tmp_path_factory, tool_env_module):
    tmp = tmp_path_factory.mktemp('straight')
    work = tmp / 'w'
    proc = run_train([toy_config(tmp), '--work-dir', str(work)],
                     tool_env_module)
    assert proc.returncode == 0, proc.stderr[-3000:]
    return torch.load(work / 'rank0.pt', weights_only=False)['params']


@pytest.fixture(scope='module')
def tool_env_module():
    env = dict(os.environ)
    # the tests package importable: the toy model (tests/dist_toy) is
    # loaded by its config's custom_imports; mmsoco itself is installed
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    env.setdefault('OMP_NUM_THREADS', '1')
    return env


def kill_while_saving(moment, cfg, work, env, tmp_path):
    ready = tmp_path / 'ready'
    proc = subprocess.Popen(
        [sys.executable, '-c', HELD_RUN, moment, str(ready), cfg,
         '--work-dir', str(work)], cwd=REPO, env=env,
        stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True,
        start_new_session=True)
    try:
        deadline = time.monotonic() + 240
        while not ready.exists():
            assert proc.poll() is None, proc.communicate()[1][-3000:]
            assert time.monotonic() < deadline, 'the save never came'
            time.sleep(0.1)
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=60)
    finally:
        if proc.poll() is None:
            os.killpg(proc.pid, signal.SIGKILL)
    assert proc.returncode == -signal.SIGKILL


@pytest.mark.parametrize('moment, newest', [('writing', 2), ('renamed', 3),
                                            ('pruning', 3)])
def test_kill_while_saving_then_resume(moment, newest, tmp_path,
                                       tool_env_module, straight_params):
    cfg, work = toy_config(tmp_path), tmp_path / 'w'
    kill_while_saving(moment, cfg, work, tool_env_module, tmp_path)
    temps = [n for n in os.listdir(work) if '.tmp-' in n]
    assert bool(temps) == (moment == 'writing'), temps  # the partial file
    # every checkpoint under its final name is complete ...
    saved = sorted(n for n in os.listdir(work)
                   if n.endswith('.pth') and not n.startswith('.'))
    assert saved and all(is_complete(str(work / n)) for n in saved), saved
    assert f'iter_{newest}.pth' in saved, saved
    # ... and last_checkpoint names one of them
    named = (work / 'last_checkpoint').read_text().strip()
    assert is_complete(named), named
    proc = run_train([cfg, '--work-dir', str(work), '--resume'],
                     tool_env_module)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert f'resume:   {work / f"iter_{newest}.pth"}' in proc.stdout, \
        proc.stdout[-2000:]
    # the run completed, kept its last checkpoint and left no temporary file
    left = sorted(os.listdir(work))
    assert f'iter_{MAX_ITERS}.pth' in left and 'iter_3.pth' not in left, left
    assert not [n for n in left if '.tmp-' in n], left
    assert (work / 'last_checkpoint').read_text().strip().endswith(
        f'iter_{MAX_ITERS}.pth')
    resumed = torch.load(work / 'rank0.pt', weights_only=False)['params']
    for name, value in straight_params.items():
        assert torch.equal(resumed[name], value), name
