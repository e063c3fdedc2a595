"""One run per output, a kill at any point of the clean-up, --overwrite
that deletes only this tool's work folder for this output."""
import json
import os
import os.path as osp
import shutil
import subprocess
import sys

import pytest

from mmsoco.proposals import LockBusy, ProposalStore, generate_store
from mmsoco.proposals.runner.lock import RunLock, holder_of
from mmsoco.proposals.runner.workdir import WorkDir

from ..proposals_data import tiny_folder


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    return tiny_folder(tmp_path_factory.mktemp('imgs') / 'images', n=4)


def snapshot(root):
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            p = osp.join(d, f)
            out[osp.relpath(p, root)] = open(p, 'rb').read()
    return out


def test_a_second_run_into_the_same_output_is_refused(images, tmp_path):
    out = str(tmp_path / 'store')
    with RunLock(out + '.lock', 'run'):
        assert holder_of(out + '.lock')['pid'] == os.getpid()
        with pytest.raises(LockBusy, match=f'PID {os.getpid()} on '):
            generate_store(images, out, progress=False)
        # a shard is refused too (after a bounded wait only for short steps)
        with pytest.raises(LockBusy, match=f'PID {os.getpid()}'):
            generate_store(images, out, shard=(0, 2), progress=False)
    assert not osp.exists(out) and not osp.exists(out + '.lock')
    assert holder_of(out + '.lock') is None
    res = generate_store(images, out, progress=False)
    assert res.path == out and not osp.exists(out + '.lock')


def test_two_runs_started_together(images, tmp_path, tool_env):
    """The second is refused at once naming the first's PID (or, if the
    first was already done, finds the store complete)."""
    from ..helpers import REPO
    ref = str(tmp_path / 'ref')
    generate_store(images, ref, chunk_size=1, progress=False)
    out = str(tmp_path / 'store')
    cmd = [sys.executable, osp.join(REPO, 'tools', 'generate_proposals.py'),
           images, out, '--chunk-size', '1']
    procs = [subprocess.Popen(cmd, env=tool_env, stderr=subprocess.PIPE,
                              text=True) for _ in range(2)]
    errs = [p.communicate(timeout=300)[1] for p in procs]
    codes = sorted(p.returncode for p in procs)
    assert codes in ([0, 0], [0, 2]), errs
    for p, err in zip(procs, errs):
        if p.returncode == 2:
            other = procs[1 - procs.index(p)].pid
            lines = err.strip().splitlines()
            assert len(lines) == 1 and f'in use by another run: PID {other}' \
                in lines[0], err
    assert snapshot(out) == snapshot(ref)
    assert not osp.exists(out + '.lock') and not osp.exists(out + '.work')


def test_the_lock_of_a_killed_run_is_taken_over(images, tmp_path, capsys):
    out = str(tmp_path / 'store')
    script = ('import os, signal, sys; '
              'from mmsoco.proposals.runner.lock import RunLock; '
              f'RunLock({out + ".lock"!r}, "run").acquire(); '
              'os.kill(os.getpid(), signal.SIGKILL)')
    r = subprocess.run([sys.executable, '-c', script], timeout=120)
    assert r.returncode == -9
    rec = json.load(open(out + '.lock'))
    assert rec['pid'] != os.getpid() and holder_of(out + '.lock') is None
    res = generate_store(images, out, progress=False)
    assert res.path == out and not osp.exists(out + '.lock')
    assert f'took over the lock {out}.lock of PID {rec["pid"]}' in \
        capsys.readouterr().err


def test_a_worker_outliving_its_killed_run_does_not_hold_the_lock(tmp_path):
    """The run forks a child (as it forks its workers) and is killed; the
    child lives on, and the lock is free all the same."""
    lock = str(tmp_path / 'store.lock')
    script = ('import os, signal, time; '
              'from mmsoco.proposals.runner.lock import RunLock; '
              f'RunLock({lock!r}, "run").acquire(); '
              'child = os.fork()\n'
              'if child == 0:\n'
              '    os.closerange(0, 3); time.sleep(60); os._exit(0)\n'
              'print(child, flush=True); os.kill(os.getpid(), signal.SIGKILL)')
    r = subprocess.run([sys.executable, '-c', script], timeout=120,
                       capture_output=True, text=True)
    assert r.returncode == -9, r.stderr
    child = int(r.stdout)
    try:
        os.kill(child, 0)  # the orphan still runs ...
        assert holder_of(lock) is None  # ... and holds nothing
        RunLock(lock, 'run').acquire().release()
    finally:
        os.kill(child, 9)


def test_a_lock_file_that_is_not_ours_is_never_touched(images, tmp_path):
    out = str(tmp_path / 'store')
    with open(out + '.lock', 'w') as f:
        f.write('my notes\n')
    with pytest.raises(FileExistsError, match='is not a lock of'):
        generate_store(images, out, progress=False)
    assert open(out + '.lock').read() == 'my notes\n'
    assert not osp.exists(out)


def _interrupt_removal_after(monkeypatch, k):
    """os.remove in the work folder's clean-up stops the run (like a kill)
    before its ``k``-th call."""
    from mmsoco.proposals.runner import workdir
    calls = []
    real = os.remove

    def remove(path):
        if len(calls) == k:
            raise KeyboardInterrupt
        calls.append(path)
        real(path)
    monkeypatch.setattr(workdir.os, 'remove', remove)
    return calls


@pytest.mark.parametrize('k', [0, 1, 3, 'rmdir'])
def test_a_kill_at_any_point_of_the_clean_up(images, tmp_path, monkeypatch,
                                             k, capsys):
    out = str(tmp_path / 'store')
    ref = str(tmp_path / 'ref')
    generate_store(images, ref, chunk_size=2, progress=False)
    if k == 'rmdir':
        from mmsoco.proposals.runner import workdir

        def rmdir(path):
            raise KeyboardInterrupt
        monkeypatch.setattr(workdir.os, 'rmdir', rmdir)
    else:
        _interrupt_removal_after(monkeypatch, k)
    with pytest.raises(KeyboardInterrupt):
        generate_store(images, out, chunk_size=2, progress=False)
    monkeypatch.undo()
    left = sorted(os.listdir(out + '.work'))
    assert 'manifest.json' in left or not left  # still recognisably ours
    assert ProposalStore(out) is not None
    # the rerun reports the store complete and finishes the clean-up
    res = generate_store(images, out, chunk_size=2, progress=False)
    assert res.already_complete and res.path == out
    assert sorted(os.listdir(tmp_path)) == ['images', 'ref', 'store'] or \
        sorted(os.listdir(tmp_path)) == ['ref', 'store']
    assert snapshot(out) == snapshot(ref)
    assert 'already complete' in capsys.readouterr().err


def test_a_kill_before_the_store_is_published_resumes(images, tmp_path,
                                                      monkeypatch):
    from mmsoco.proposals.store import writer as store_mod
    out = str(tmp_path / 'store')
    real = store_mod.np.save

    def save(path, arr, *a, **kw):
        if path.endswith('hashes.npy'):
            raise KeyboardInterrupt
        return real(path, arr, *a, **kw)
    monkeypatch.setattr(store_mod.np, 'save', save)
    with pytest.raises(KeyboardInterrupt):
        generate_store(images, out, chunk_size=2, progress=False)
    monkeypatch.undo()
    assert not osp.exists(out) and WorkDir(out).is_ours()
    res = generate_store(images, out, chunk_size=2, progress=False)
    assert res.reused_chunks == 3 and res.computed_chunks == 0
    assert not osp.exists(out + '.work')


def _other_settings_run(images, out):
    generate_store(images, out, chunk_size=2, max_chunks=1, scale=200,
                   progress=False)


def test_overwrite_deletes_only_our_work_folder(images, tmp_path):
    out = str(tmp_path / 'store')
    # 1. a folder named like the work folder, holding a manifest.json and
    # the user's files (not made by this tool): never deleted
    work = tmp_path / 'store.work'
    work.mkdir()
    (work / 'manifest.json').write_text('{"mine": 1}')
    (work / 'thesis.tex').write_text('precious')
    before = snapshot(tmp_path)
    for overwrite in (False, True):
        with pytest.raises(FileExistsError,
                           match='not a proposals work folder'):
            generate_store(images, out, overwrite=overwrite,
                           progress=False)
    assert snapshot(tmp_path) == before
    shutil.rmtree(work)
    # 2. our work folder with a file of the user's put in it: refused
    _other_settings_run(images, out)
    (work / 'notes.txt').write_text('mine')
    with pytest.raises(FileExistsError, match='holds files this tool did '
                       r'not write \(notes.txt\)'):
        generate_store(images, out, overwrite=True, progress=False)
    assert (work / 'notes.txt').read_text() == 'mine'
    os.remove(work / 'notes.txt')
    # 3. our work folder, but made for another output (copied here)
    other = str(tmp_path / 'other')
    shutil.copytree(work, other + '.work')
    with pytest.raises(FileExistsError, match=f'was made for output '
                       f'{osp.realpath(str(tmp_path))}/store'):
        generate_store(images, other, overwrite=True, progress=False)
    assert osp.isdir(other + '.work')
    # 4. ours, for this output, settings differ: the message gives the
    # full command, and --overwrite discards it
    with pytest.raises(ValueError, match=r'different settings \(scale\).*'
                       'start over with: python tools/generate_proposals.py '
                       f'{images} {out} --chunk-size 2 --overwrite'):
        generate_store(images, out, chunk_size=2, progress=False)
    res = generate_store(images, out, chunk_size=2, overwrite=True,
                         progress=False)
    assert res.path == out and res.reused_chunks == 0
    assert ProposalStore(out).meta['manifest']['scale'] == 300


def test_overwrite_replaces_only_the_store_s_own_files(images, tmp_path,
                                                     tool_env):
    """``generate_proposals.py IMG OUT --overwrite`` over a store that also
    holds a user's file (or folder) refuses in one line naming it and
    changes nothing; once it is moved out, the store is replaced."""
    from ..helpers import REPO
    out = str(tmp_path / 'store')
    generate_store(images, out, scale=200, progress=False)
    ours = sorted(os.listdir(out))
    assert sorted(ProposalStore(out).meta['files']) == ours
    (tmp_path / 'store' / 'notes.txt').write_text('precious')
    (tmp_path / 'store' / 'plots').mkdir()
    before = snapshot(tmp_path)
    cmd = [sys.executable, osp.join(REPO, 'tools', 'generate_proposals.py'),
           images, out, '--overwrite']
    r = subprocess.run(cmd, env=tool_env, capture_output=True, text=True,
                       timeout=300)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    assert lines[0] == (
        f'error: output {out} holds files this tool did not write '
        f'({out}/notes.txt, {out}/plots); only a store\'s own files are '
        'ever replaced: move them out of it, or choose a new output path')
    assert snapshot(tmp_path) == before
    assert not osp.exists(out + '.work')
    # without --overwrite, the finished store is still found complete
    res = generate_store(images, out, scale=200, progress=False)
    assert res.already_complete
    os.remove(osp.join(out, 'notes.txt'))
    os.rmdir(osp.join(out, 'plots'))
    r = subprocess.run(cmd, env=tool_env, capture_output=True, text=True,
                       timeout=300)
    assert r.returncode == 0, r.stderr
    assert ProposalStore(out).meta['manifest']['scale'] == 300
    assert sorted(os.listdir(out)) == ours
    assert sorted(os.listdir(tmp_path)) == ['store']


def test_a_user_file_that_appears_during_the_replacement_is_kept(
        tmp_path, monkeypatch):
    """The old store is removed file by file (only the files its writer
    listed): a file that appears in it after the last check is left, in
    the renamed-aside folder, never deleted."""
    import numpy as np

    from mmsoco.proposals import write_store
    from mmsoco.proposals.store import publish as pub_mod
    out = str(tmp_path / 'store')
    write_store(out, ['a'], [np.zeros((1, 4))])
    real = pub_mod.publish_dir

    def late_user_file(tmp, dst, discard=None):
        with open(osp.join(dst, 'late.txt'), 'w') as f:
            f.write('mine')
        return real(tmp, dst, discard)
    monkeypatch.setattr(pub_mod, 'publish_dir', late_user_file)
    write_store(out, ['b'], [np.zeros((2, 4))])
    assert ProposalStore(out)['b'].shape == (2, 4)
    aside = [n for n in os.listdir(tmp_path) if n.startswith('store.old-')]
    assert len(aside) == 1
    assert os.listdir(tmp_path / aside[0]) == ['late.txt']


def test_a_lock_being_taken_counts_by_its_role_once_written(tmp_path):
    """A holder that has created and flocked the lock but not yet written
    its record is 'starting': a waiter waits for the record and then goes
    by the holder's role (two shards finishing together once refused each
    other this way)."""
    import fcntl
    import threading
    import time
    path = str(tmp_path / 'out.lock')

    def hold(role, release_after):
        fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
        fcntl.flock(fd, fcntl.LOCK_EX)
        time.sleep(0.3)  # the record comes a moment later
        os.pwrite(fd, json.dumps(dict(
            made_by='mmsoco-proposals-lock', pid=os.getpid(), host=os.uname()
            .nodename, role=role, since='now')).encode(), 0)
        time.sleep(release_after)
        os.unlink(path)
        os.close(fd)

    t = threading.Thread(target=hold, args=('prepare', 0.5))
    t.start()
    time.sleep(0.05)
    with RunLock(path, 'merge', wait_s=10, wait_roles=('prepare', )):
        pass  # waited through 'starting' and 'prepare'
    t.join()
    t = threading.Thread(target=hold, args=('merge', 1.0))
    t.start()
    time.sleep(0.05)
    with pytest.raises(LockBusy, match=r'PID \d+ .*\(merge'):
        RunLock(path, 'merge', wait_s=10, wait_roles=('prepare', )).acquire()
    t.join()
