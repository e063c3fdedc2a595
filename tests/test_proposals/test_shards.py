"""--shard I/N and --merge: shares of the chunks computed apart (and at the
same time) give the store of a single run, byte for byte."""
import filecmp
import os
import os.path as osp
import subprocess
import sys

import pytest

from mmsoco.proposals import LockBusy, ProposalStore, generate_store
from mmsoco.proposals.runner.inputs import parse_shard, shard_chunks
from mmsoco.proposals.runner.lock import RunLock
from mmsoco.proposals.runner.workdir import WorkDir

from ..helpers import REPO
from ..proposals_data import tiny_folder


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    return tiny_folder(tmp_path_factory.mktemp('imgs') / 'images', n=7)


@pytest.fixture(scope='module')
def single(images, tmp_path_factory):
    out = str(tmp_path_factory.mktemp('single') / 'store')
    generate_store(images, out, chunk_size=2, progress=False)
    return out


def same_store(a, b):
    names = sorted(os.listdir(a))
    assert names == sorted(os.listdir(b))
    _, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert not mismatch and not errors, mismatch


@pytest.mark.parametrize('chunks, n', [(1, 1), (4, 3), (10, 4), (3, 5),
                                       (256, 7)])
def test_shares_are_contiguous_balanced_and_cover_every_chunk(chunks, n):
    shares = [list(shard_chunks(chunks, i, n)) for i in range(n)]
    assert sum(shares, []) == list(range(chunks))
    sizes = [len(s) for s in shares]
    assert max(sizes) - min(sizes) <= 1


def test_parse_shard():
    assert parse_shard('0/4') == (0, 4) and parse_shard('3/4') == (3, 4)
    for bad in ('4/4', '1', 'a/b', '-1/2', '1/0'):
        with pytest.raises(ValueError, match='--shard'):
            parse_shard(bad)


def test_shards_then_the_last_one_merges(images, single, tmp_path, capsys):
    out = str(tmp_path / 'store')
    r0 = generate_store(images, out, chunk_size=2, shard=(0, 3),
                        progress=False)
    r2 = generate_store(images, out, chunk_size=2, shard=(2, 3),
                        progress=False)
    assert r0.path is None and r2.path is None and not osp.exists(out)
    assert (r0.computed_chunks, r2.computed_chunks) == (1, 2)
    err = capsys.readouterr().err
    assert 'shard 0/3 of' in err and 'the last shard to finish assembles' \
        in err and f'{images} {out} --chunk-size 2 --merge' in err
    with pytest.raises(ValueError, match='1 of 4 chunks are not computed'):
        generate_store(images, out, chunk_size=2, merge=True,
                       progress=False)
    r1 = generate_store(images, out, chunk_size=2, shard=(1, 3),
                        progress=False)
    assert r1.path == out and r1.computed_chunks == 1
    same_store(out, single)
    assert not osp.exists(out + '.work') and not osp.exists(out + '.lock')
    # a shard rerun afterwards finds the store complete
    again = generate_store(images, out, chunk_size=2, shard=(0, 3),
                           progress=False)
    assert again.already_complete


def test_explicit_merge(images, single, tmp_path, capsys, monkeypatch):
    out = str(tmp_path / 'store')
    generate_store(images, out, chunk_size=2, shard=(0, 2), progress=False)
    # the last shard cannot merge while another run holds OUT.lock (taken
    # here while the shard computes)
    from mmsoco.proposals.runner import generator
    real, held = generator._Run._compute, []

    def compute(self, *a):
        res = real(self, *a)
        held.append(RunLock(out + '.lock', 'run').acquire())
        return res
    monkeypatch.setattr(generator._Run, '_compute', compute)
    res = generate_store(images, out, chunk_size=2, shard=(1, 2),
                         progress=False)
    held[0].release()
    monkeypatch.undo()
    assert res.path is None
    assert f'being assembled by PID {os.getpid()}' in capsys.readouterr().err
    res = generate_store(images, out, chunk_size=2, merge=True,
                         progress=False)
    assert res.path == out
    same_store(out, single)


def test_a_whole_run_is_refused_while_a_shard_runs(images, tmp_path):
    out = str(tmp_path / 'store')
    generate_store(images, out, chunk_size=2, shard=(0, 4), progress=False)
    work = WorkDir(out)
    with RunLock(work.shard_lock_path(3, 4), 'shard 3/4'):
        with pytest.raises(LockBusy, match=r'shard 3/4 \(PID '
                           f'{os.getpid()}'):
            generate_store(images, out, chunk_size=2, progress=False)
        with pytest.raises(LockBusy, match='shard 3/4'):
            generate_store(images, out, chunk_size=2, shard=(3, 4),
                           progress=False)
    res = generate_store(images, out, chunk_size=2, progress=False)
    assert res.reused_chunks == 1 and res.path == out


def test_concurrent_shard_processes(images, single, tmp_path, tool_env):
    out = str(tmp_path / 'store')
    tool = osp.join(REPO, 'tools', 'generate_proposals.py')
    procs = [subprocess.Popen(
        [sys.executable, tool, images, out, '--chunk-size', '2', '--shard',
         f'{i}/2', '--workers', '1'], env=tool_env, stderr=subprocess.PIPE,
        text=True) for i in range(2)]
    errs = [p.communicate(timeout=300)[1] for p in procs]
    assert [p.returncode for p in procs] == [0, 0], errs
    same_store(out, single)
    assert not osp.exists(out + '.work') and not osp.exists(out + '.lock')
    # exactly one of them assembled the store
    assert sum(f'proposal store {out}: 7 images' in e for e in errs) == 1, \
        errs
    assert ProposalStore(out).has_image_stats
