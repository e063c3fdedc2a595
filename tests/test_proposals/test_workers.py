"""Proposal workers: a worker's death (kill -9, what the OOM killer does)
never hangs the run; large images are segmented downsized."""
import filecmp
import json
import os
import os.path as osp
import signal
import threading
import time

import cv2
import numpy as np
import pytest

from mmsoco.proposals import ProposalStore, generate_store
from mmsoco.proposals.runner import worker as worker_mod
from mmsoco.proposals.runner.worker import map_boxes_back, segment_size

from ..proposals_data import photo, tiny_folder


@pytest.fixture(scope='module')
def images(tmp_path_factory):
    return tiny_folder(tmp_path_factory.mktemp('imgs') / 'images', n=6)


@pytest.fixture(scope='module')
def reference(images, tmp_path_factory):
    out = str(tmp_path_factory.mktemp('ref') / 'store')
    generate_store(images, out, workers=1, chunk_size=2, progress=False)
    return out


def same_store(a, b):
    names = sorted(os.listdir(a))
    assert names == sorted(os.listdir(b))
    _, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert not mismatch and not errors, mismatch


def test_in_process_mode_gives_the_same_store(images, reference, tmp_path):
    out = str(tmp_path / 'store')
    generate_store(images, out, workers=0, chunk_size=2, progress=False)
    same_store(out, reference)


def killing(victim, marker=None):
    """propose_file that SIGKILLs its own worker process on ``victim``
    (only the first time when ``marker``, a file it creates, is given)."""
    real = worker_mod.propose_file

    def propose(key, cfg):
        if key == victim and (marker is None or not osp.exists(marker)):
            if marker:
                open(marker, 'w').close()
            os.kill(os.getpid(), signal.SIGKILL)
        return real(key, cfg)
    return propose


def test_a_worker_killed_once_is_replaced_and_its_image_retried(
        images, reference, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(worker_mod, 'propose_file',
                        killing('b/img1.jpg', str(tmp_path / 'killed')))
    out = str(tmp_path / 'store')
    res = generate_store(images, out, workers=2, chunk_size=2,
                         progress=False)
    assert osp.exists(tmp_path / 'killed')  # the worker was really killed
    assert res.path == out
    same_store(out, reference)
    err = capsys.readouterr().err
    assert 'died on b/img1.jpg; trying it again (1/2)' in err


def test_an_image_that_always_kills_its_worker_is_recorded_bad(
        images, tmp_path, monkeypatch):
    monkeypatch.setattr(worker_mod, 'propose_file', killing('a/img2.jpg'))
    out = str(tmp_path / 'store')
    res = generate_store(images, out, workers=2, chunk_size=2,
                         progress=False, worker_retries=1)
    bad = dict(res.bad)
    h, w = cv2.imread(osp.join(images, 'a', 'img2.jpg')).shape[:2]
    assert bad['a/img2.jpg'] == (
        'worker died (killed by signal 9 (SIGKILL), 2 tries): probably out '
        f'of memory, {w} x {h} pixels; lower --max-pixels or give each '
        'worker more memory')
    store = ProposalStore(out)
    assert 'a/img2.jpg' not in store and len(store) == 5
    report = json.load(open(osp.join(out, 'report.json')))
    assert {b['key'] for b in report['bad_files']} == {'a/img2.jpg',
                                                       'corrupt.jpg'}


def test_a_worker_that_hangs_is_stopped(images, tmp_path, monkeypatch):
    real = worker_mod.propose_file

    def propose(key, cfg):
        if key == 'b/img3.jpg':
            time.sleep(600)  # a decoder stuck on a file
        return real(key, cfg)
    monkeypatch.setattr(worker_mod, 'propose_file', propose)
    out = str(tmp_path / 'store')
    res = generate_store(images, out, workers=2, chunk_size=2,
                         progress=False, worker_retries=0, image_timeout=2)
    assert dict(res.bad)['b/img3.jpg'].startswith(
        'no result after 2 s, the worker was stopped (1 tries)')
    assert len(ProposalStore(out)) == 5


def _children(pid):
    path = f'/proc/{pid}/task/{pid}/children'
    with open(path) as f:
        return [int(p) for p in f.read().split()]


@pytest.mark.skipif(not osp.exists(f'/proc/{os.getpid()}/task/'
                                   f'{os.getpid()}/children'),
                    reason='needs /proc/PID/task/PID/children (Linux)')
def test_kill_9_of_a_pool_worker_from_outside(images, reference, tmp_path):
    """The OOM killer's way: SIGKILL to a busy worker, from outside."""
    killed = []

    def assassin():
        deadline = time.time() + 60
        while not killed and time.time() < deadline:
            for pid in _children(os.getpid()):
                try:
                    os.kill(pid, signal.SIGKILL)
                    killed.append(pid)
                except ProcessLookupError:
                    pass
                break
            time.sleep(0.005)

    t = threading.Thread(target=assassin)
    t.start()
    out = str(tmp_path / 'store')
    try:
        res = generate_store(images, out, workers=2, chunk_size=2,
                             progress=False)
    finally:
        killed.append(None)
        t.join()
    assert killed[0] is not None  # a worker was killed mid-run
    assert res.path == out
    same_store(out, reference)


def test_segment_size_and_mapping_back():
    assert segment_size(100, 50, None) is None
    assert segment_size(100, 50, 5000) is None
    w, h = segment_size(4000, 3000, 1_000_000)
    assert w * h <= 1_000_000 and abs(w / h - 4 / 3) < 0.01
    boxes = np.array([[0, 0, 10, 5], [2, 1, 4, 3]], np.float32)
    back = map_boxes_back(boxes, (10, 5), (100, 50))
    np.testing.assert_array_equal(back, [[0, 0, 100, 50], [20, 10, 40, 30]])
    assert back.dtype == np.float32
    # rounding never leaves the image
    back = map_boxes_back([[0, 0, 7, 7]], (7, 7), (10, 10))
    assert back.max() == 10


def test_large_images_are_segmented_downsized(tmp_path):
    rgb = photo(0, 0.5)  # 300 x 200
    H, W = rgb.shape[:2]
    (tmp_path / 'imgs').mkdir()
    cv2.imwrite(str(tmp_path / 'imgs' / 'big.png'), rgb[:, :, ::-1])
    cv2.imwrite(str(tmp_path / 'imgs' / 'small.png'), rgb[:40, :60, ::-1])
    out = str(tmp_path / 'store')
    limit = 6000
    res = generate_store(str(tmp_path / 'imgs'), out, max_pixels=limit,
                         progress=False)
    assert res.num_downsized == 1
    store = ProposalStore(out)
    b = store['big.png']
    # the same boxes as segmenting the downsized image by hand, in
    # original pixels
    w, h = segment_size(W, H, limit)
    small = cv2.resize(rgb, (w, h), interpolation=cv2.INTER_AREA)
    from mmsoco.proposals import filter_boxes, selective_search
    raw = map_boxes_back(selective_search(small), (w, h), (W, H))
    expected, _ = filter_boxes(raw, (W, H))
    np.testing.assert_array_equal(b, expected)
    assert b[:, 2].max() <= W and b[:, 3].max() <= H
    assert b[:, 2].max() > w  # really in original pixels
    report = json.load(open(osp.join(out, 'report.json')))
    assert report['num_downsized'] == 1 and report['max_pixels'] == limit
    assert store.meta['manifest']['max_pixels'] == limit
    # the image's real size is recorded
    i = list(store.keys()).index('big.png')
    assert store.image_stats_at(i)[:2].tolist() == [W, H]
