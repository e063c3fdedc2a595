"""ProposalStore: round trip, atomic writes, memory mapping, shared pages."""
import multiprocessing as mp
import os
import os.path as osp
import pickle

import numpy as np
import pytest

from mmsoco.proposals import ProposalStore, write_store
from mmsoco.proposals.store import format as format_mod
from mmsoco.proposals.store import reader as reader_mod
from mmsoco.proposals.store import writer as store_mod


def sample(n=50, seed=0, integral=True):
    rng = np.random.default_rng(seed)
    keys = [f'n{i % 7:08d}/img_{i:05d}.JPEG' for i in range(n)]
    keys[3] = 'ünïcode dir/ça va.jpg'
    boxes = []
    for i in range(n):
        b = rng.uniform(0, 500, (int(rng.integers(0, 9)), 4))
        b[:, 2:] = b[:, :2] + rng.uniform(1, 100, (len(b), 2))
        boxes.append(np.round(b) if integral else b)
    return keys, boxes


@pytest.mark.parametrize('integral', [True, False])
def test_round_trip(tmp_path, integral):
    keys, boxes = sample(integral=integral)
    path = str(tmp_path / 'store')
    write_store(path, keys, boxes, meta=dict(note='x'))
    s = ProposalStore(path)
    assert len(s) == len(keys) and list(s.keys()) == keys
    assert s.meta['note'] == 'x'
    assert s.meta['box_dtype'] == ('uint16' if integral else 'float32')
    for k, b in zip(keys, boxes):
        assert k in s
        out = s[k]
        assert out.dtype == np.float32 and out.shape == (len(b), 4)
        np.testing.assert_allclose(out, b, rtol=1e-6)
    assert 'missing.jpg' not in s and 3 not in s
    assert s.get('missing.jpg') is None
    with pytest.raises(KeyError, match='missing.jpg'):
        s['missing.jpg']
    # arrays are memory-mapped files, not loaded copies
    assert isinstance(s._boxes, np.memmap) and isinstance(s._hashes,
                                                          np.memmap)
    # pickles as its path (spawned workers map the files themselves)
    clone = pickle.loads(pickle.dumps(s))
    assert len(pickle.dumps(s)) < 500 and list(clone.keys()) == keys
    with pytest.raises(TypeError, match='str'):
        s[0]
    # lookups return copies: the store cannot be modified through them
    s[keys[0]][:] = -1
    np.testing.assert_allclose(s[keys[0]], boxes[0], rtol=1e-6)


def test_hash_collisions_are_resolved(tmp_path, monkeypatch):
    collide = lambda k: len(k) % 3  # noqa: E731
    monkeypatch.setattr(format_mod, 'key_hash', collide)
    monkeypatch.setattr(reader_mod, 'key_hash', collide)
    keys, boxes = sample(30)
    path = str(tmp_path / 'store')
    write_store(path, keys, boxes)
    s = ProposalStore(path)
    for k, b in zip(keys, boxes):
        np.testing.assert_array_equal(s[k], b)
    assert 'nope' not in s


def test_write_is_atomic_and_replaces(tmp_path, monkeypatch):
    path = str(tmp_path / 'store')
    write_store(path, ['a.jpg'], [np.array([[0, 0, 5, 5]])])
    real_save = np.save

    def failing_save(f, arr, *a, **k):
        if f.endswith('hashes.npy'):
            raise OSError('disk full')
        return real_save(f, arr, *a, **k)

    monkeypatch.setattr(store_mod.np, 'save', failing_save)
    with pytest.raises(OSError, match='disk full'):
        write_store(path, ['b.jpg'], [np.array([[0, 0, 1, 1]])])
    monkeypatch.setattr(store_mod.np, 'save', real_save)
    assert list(ProposalStore(path).keys()) == ['a.jpg']  # old one intact
    write_store(path, ['b.jpg'], [np.array([[0, 0, 1, 1]])])
    assert list(ProposalStore(path).keys()) == ['b.jpg']
    assert sorted(os.listdir(tmp_path)) == ['store']  # no leftovers
    with pytest.raises(FileNotFoundError, match='generate_proposals'):
        ProposalStore(str(tmp_path / 'nothing'))
    with pytest.raises(ValueError, match='duplicate'):
        write_store(path, ['a', 'a'], [np.zeros((0, 4))] * 2)


def test_empty_entries_and_store(tmp_path):
    path = str(tmp_path / 'store')
    write_store(path, ['x.png'], [np.zeros((0, 4))])
    assert ProposalStore(path)['x.png'].shape == (0, 4)
    write_store(path, [], [])
    assert len(ProposalStore(path)) == 0


def _anon_kb() -> int:
    """Anonymous (non file-backed) memory of this process, kB."""
    with open('/proc/self/smaps_rollup') as f:
        for line in f:
            if line.startswith('Anonymous:'):
                return int(line.split()[1])
    raise RuntimeError('no Anonymous line')


def _rss_kb() -> int:
    with open('/proc/self/status') as f:
        for line in f:
            if line.startswith('VmRSS:'):
                return int(line.split()[1])
    raise RuntimeError('no VmRSS line')


def _reader(store, q):
    anon0, rss0 = _anon_kb(), _rss_kb()
    total = 0.0
    for i in range(0, len(store), 3):  # touch the whole boxes array
        total += float(store.boxes_at(i).sum())
    rng = np.random.default_rng(os.getpid())
    keys = [store._key_at(int(i)) for i in rng.integers(0, len(store), 200)]
    ok = all(k in store for k in keys)
    q.put((_anon_kb() - anon0, _rss_kb() - rss0, ok, total > 0))


@pytest.mark.skipif(not osp.exists('/proc/self/smaps_rollup'),
                    reason='needs Linux /proc smaps_rollup')
def test_forked_readers_share_the_store(tmp_path):
    """4 forked readers each touch every box: their resident set grows by
    the mapped file pages, but none makes a private copy of the arrays."""
    n, per = 60000, 40
    rng = np.random.default_rng(0)
    flat = rng.integers(0, 600, (n * per, 4)).astype(np.float32)
    keys = [f'k{i}.jpg' for i in range(n)]
    path = str(tmp_path / 'store')
    write_store(path, keys, np.split(flat, n))
    store = ProposalStore(path)
    boxes_kb = store._boxes.nbytes // 1024  # ~19 MB
    ctx = mp.get_context('fork')
    q = ctx.Queue()
    procs = [ctx.Process(target=_reader, args=(store, q)) for _ in range(4)]
    for p in procs:
        p.start()
    results = [q.get(timeout=120) for _ in procs]
    for p in procs:
        p.join(30)
    for anon, rss, ok, nonzero in results:
        assert ok and nonzero
        assert rss > boxes_kb // 2  # the pages were really read ...
        assert anon < boxes_kb // 4  # ... but not copied per process
