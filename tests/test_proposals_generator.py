"""generate_store / tools/generate_proposals.py: formats, bad files, resume."""
import filecmp
import json
import os
import os.path as osp
import shutil
import signal
import subprocess
import sys
import time

import cv2
import numpy as np
import pytest
from PIL import Image

from mmsoco.proposals import (ProposalStore, filter_boxes, generate_store,
                              list_images, selective_search)

from .conftest import REPO

REAL = ('000000005001.jpg', '000000010764.jpg', '000000020992.jpg')
BAD = {
    'bad/corrupt.jpg': 'not a decodable image',
    'bad/truncated.jpg': 'truncated JPEG',
    'bad/empty.png': 'empty file',
}


@pytest.fixture(scope='module')
def image_root(tmp_path_factory, coco_tiny):
    root = tmp_path_factory.mktemp('images')
    for i, name in enumerate(REAL):  # ImageNet-style class folders
        os.makedirs(root / f'n0{i % 2}', exist_ok=True)
        shutil.copy(osp.join(coco_tiny, 'val2017', name), root / f'n0{i % 2}')
    rgb = cv2.imread(osp.join(coco_tiny, 'val2017', REAL[0]))[:, :, ::-1]
    small = np.ascontiguousarray(rgb[::2, ::2])
    os.makedirs(root / 'odd')
    gray = Image.fromarray(small).convert('L')
    gray.save(root / 'odd' / 'gray.png')
    Image.fromarray(small).convert('RGBA').save(root / 'odd' / 'rgba.png')
    Image.fromarray(small).convert('P').save(root / 'odd' / 'palette.png')
    cv2.imwrite(str(root / 'odd' / 'rgb16.png'),
                small[:, :, ::-1].astype(np.uint16) * 257)
    cv2.imwrite(str(root / 'odd' / 'gray16.tif'),
                np.asarray(gray).astype(np.uint16) * 257)
    Image.fromarray(small[:20, :20]).save(root / 'odd' / 'tiny.jpg')
    os.makedirs(root / 'bad')
    (root / 'bad' / 'corrupt.jpg').write_bytes(os.urandom(3000))
    data = (root / 'n00' / REAL[0]).read_bytes()
    (root / 'bad' / 'truncated.jpg').write_bytes(data[:len(data) // 2])
    (root / 'bad' / 'empty.png').write_bytes(b'')
    (root / 'bad' / 'notes.txt').write_text('not an image, not listed')
    # a complete JPEG followed by 200 bytes of trailing junk is fine
    (root / 'odd' / 'trailing.jpg').write_bytes(
        (root / 'odd' / 'tiny.jpg').read_bytes() + b'\0' * 200)
    return str(root)


@pytest.fixture(scope='module')
def reference(image_root, tmp_path_factory):
    """One uninterrupted single-worker run."""
    out = str(tmp_path_factory.mktemp('ref') / 'store')
    res = generate_store(image_root, out, workers=1, chunk_size=3,
                         progress=False)
    return out, res


def same_store(a, b):
    names = sorted(os.listdir(a))
    assert names == sorted(os.listdir(b))
    match, mismatch, errors = filecmp.cmpfiles(a, b, names, shallow=False)
    assert not mismatch and not errors, mismatch


def test_listing_is_recursive_and_sorted(image_root):
    keys = list_images(image_root)
    assert keys == sorted(keys) and len(keys) == 13
    assert 'n00/000000005001.jpg' in keys and 'bad/notes.txt' not in keys


def test_formats_bad_files_and_fallbacks(image_root, reference):
    out, res = reference
    store = ProposalStore(out)
    assert res.path == out and res.num_images == 13
    assert len(store) == 10 and not osp.exists(out + '.work')
    bad = dict(res.bad)
    assert set(bad) == set(BAD)
    for key, reason in BAD.items():
        assert reason in bad[key]
        assert key not in store
    for key in store.keys():
        boxes = store[key]
        assert boxes.dtype == np.float32 and boxes.ndim == 2 and len(boxes)
    h, w = cv2.imread(osp.join(image_root, 'odd', 'gray.png')).shape[:2]
    for key in ('odd/gray.png', 'odd/rgba.png', 'odd/palette.png',
                'odd/rgb16.png', 'odd/gray16.tif'):
        b = store[key]
        assert b[:, 2].max() <= w and b[:, 3].max() <= h
    # 16-bit versions of the same picture give the same proposals as 8-bit
    np.testing.assert_array_equal(store['odd/gray16.tif'],
                                  store['odd/gray.png'])
    small = cv2.imread(osp.join(image_root, 'odd', 'rgb16.png'),
                       cv2.IMREAD_UNCHANGED)
    assert small.dtype == np.uint16
    small = np.ascontiguousarray((small // 257).astype(np.uint8)[:, :, ::-1])
    expected, _ = filter_boxes(selective_search(small), (w, h))
    np.testing.assert_array_equal(store['odd/rgb16.png'], expected)
    assert store['odd/tiny.jpg'].tolist() == [[0, 0, 20, 20]]
    assert store['odd/trailing.jpg'].tolist() == [[0, 0, 20, 20]]
    report = json.load(open(osp.join(out, 'report.json')))
    assert report['num_bad'] == 3 and report['num_stored'] == 10
    assert report['stage_counts']['whole_image'] >= 2
    assert sum(report['stage_counts'].values()) == 10
    lines = open(osp.join(out, 'bad_files.txt')).read().splitlines()
    assert [ln.split('\t')[0] for ln in lines] == sorted(BAD)
    assert store.meta['filter'] == 'ratio3size0308'


def test_resume_reuses_chunks_and_gives_the_same_store(
        image_root, reference, tmp_path, capsys):
    out = str(tmp_path / 'store')
    first = generate_store(image_root, out, chunk_size=3, max_chunks=2)
    assert first.path is None and first.computed_chunks == 2
    assert not osp.exists(out)  # no half-written store
    shards = sorted(f for f in os.listdir(out + '.work')
                    if f.startswith('chunk-'))
    assert shards == ['chunk-000000.npz', 'chunk-000001.npz']
    second = generate_store(image_root, out, chunk_size=3)
    assert second.reused_chunks == 2 and second.computed_chunks == 3
    same_store(out, reference[0])
    err = capsys.readouterr().err
    assert 'resuming: 2/5 chunks' in err and 'img/s' in err and 'ETA' in err


def test_changed_arguments_do_not_mix_with_a_run(image_root, tmp_path):
    out = str(tmp_path / 'store')
    generate_store(image_root, out, chunk_size=3, max_chunks=1,
                   progress=False)
    with pytest.raises(ValueError, match='chunk_size'):
        generate_store(image_root, out, chunk_size=2, progress=False)


def test_workers_give_the_same_store(image_root, reference, tmp_path):
    out = str(tmp_path / 'store')
    res = generate_store(image_root, out, workers=2, chunk_size=5,
                         progress=False)
    assert sorted(res.bad) == sorted(reference[1].bad)
    same_store(out, reference[0])


def test_file_list_keys(image_root, tmp_path):
    lst = tmp_path / 'list.txt'
    lst.write_text('# two images\nn00/000000005001.jpg\n\n'
                   f'{osp.join(image_root, "odd", "tiny.jpg")}\n')
    out = str(tmp_path / 'store')
    generate_store(str(lst), out, image_root=image_root, progress=False)
    assert list(ProposalStore(out).keys()) == ['n00/000000005001.jpg',
                                               'odd/tiny.jpg']
    with pytest.raises(ValueError, match='outside the image root'):
        generate_store(['/elsewhere/a.jpg'], out, image_root=image_root)


def test_cli_killed_and_rerun(image_root, reference, tmp_path, tool_env):
    out = str(tmp_path / 'store')
    cmd = [sys.executable, osp.join(REPO, 'tools', 'generate_proposals.py'),
           image_root, out, '--chunk-size', '1']
    proc = subprocess.Popen(cmd, env=tool_env, stderr=subprocess.PIPE)
    work = out + '.work'
    deadline = time.time() + 120
    while time.time() < deadline and proc.poll() is None:
        if osp.isdir(work) and sum(f.startswith('chunk-')
                                   for f in os.listdir(work)) >= 2:
            break
        time.sleep(0.02)
    proc.send_signal(signal.SIGKILL)
    proc.wait()
    if osp.exists(out):
        pytest.skip('the run finished before it could be killed')
    done = sum(f.startswith('chunk-') for f in os.listdir(work))
    assert 2 <= done < 13
    rerun = subprocess.run(cmd, env=tool_env, capture_output=True,
                           text=True, timeout=300)
    assert rerun.returncode == 0, rerun.stderr
    assert f'resuming: {done}/13 chunks' in rerun.stderr
    assert 'bad file bad/truncated.jpg: truncated JPEG' in rerun.stderr
    same_store(out, reference[0])


def test_cli_usage_errors(tmp_path, tool_env):
    cmd = [sys.executable, osp.join(REPO, 'tools', 'generate_proposals.py'),
           str(tmp_path / 'none'), str(tmp_path / 'out')]
    r = subprocess.run(cmd, env=tool_env, capture_output=True, text=True)
    assert r.returncode == 2 and 'neither an image folder' in r.stderr
    os.makedirs(tmp_path / 'empty')
    cmd[-2] = str(tmp_path / 'empty')
    r = subprocess.run(cmd, env=tool_env, capture_output=True, text=True)
    assert r.returncode == 2 and 'no images found' in r.stderr
