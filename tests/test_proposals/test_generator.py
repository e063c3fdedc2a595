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

from mmsoco.image_set import list_images
from mmsoco.proposals import (ProposalStore, filter_boxes, generate_store,
                              selective_search)

from ..helpers import REPO
from ..proposals_data import photo

# three photos (scikit-image's) named like COCO images
REAL = ('000000005001.jpg', '000000010764.jpg', '000000020992.jpg')
BAD = {
    'bad/corrupt.jpg': 'not a decodable image',
    'bad/truncated.jpg': 'truncated JPEG',
    'bad/empty.png': 'empty file',
}


@pytest.fixture(scope='module')
def image_root(tmp_path_factory):
    root = tmp_path_factory.mktemp('images')
    for i, name in enumerate(REAL):  # ImageNet-style class folders
        os.makedirs(root / f'n0{i % 2}', exist_ok=True)
        cv2.imwrite(str(root / f'n0{i % 2}' / name), photo(i)[:, :, ::-1])
    rgb = photo(0)
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
    keys = list_images(image_root).keys
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


# ------------------------------------------------ output safety (no data loss)
def snapshot(root):
    """{relative path: (size, mtime_ns)} of every file under ``root``."""
    out = {}
    for d, _, files in os.walk(root):
        for f in files:
            st = os.stat(osp.join(d, f))
            out[osp.relpath(osp.join(d, f), root)] = (st.st_size,
                                                      st.st_mtime_ns)
    return out


def copy_images(image_root, dst):
    """A private copy of the test images (these tests point OUT at them)."""
    shutil.copytree(image_root, dst)
    return str(dst)


@pytest.mark.parametrize('where, match', [
    ('root', 'is the image root'),
    ('parent', 'contains the image root'),
    ('inside', 'is inside the image folder'),
    ('inside_new', 'is inside the image folder'),
])
def test_output_overlapping_the_images_is_refused(image_root, tmp_path,
                                                  where, match):
    images = copy_images(image_root, tmp_path / 'data' / 'images')
    out = dict(root=images, parent=str(tmp_path / 'data'),
               inside=osp.join(images, 'n00'),
               inside_new=osp.join(images, 'proposals'))[where]
    before = snapshot(tmp_path)
    with pytest.raises(ValueError, match=match):
        generate_store(images, out, progress=False)
    with pytest.raises(ValueError, match=match):  # trailing slash, '..'
        generate_store(images + '/', osp.join(out, '..', osp.basename(out)),
                       progress=False)
    assert snapshot(tmp_path) == before  # nothing deleted, nothing created


def test_existing_non_store_output_is_refused(image_root, tmp_path):
    mine = tmp_path / 'my_results'
    mine.mkdir()
    (mine / 'notes.txt').write_text('precious')
    (tmp_path / 'a_file').write_text('precious too')
    squat = tmp_path / 'other.work'  # the work folder name of 'other'
    squat.mkdir()
    (squat / 'x.txt').write_text('mine')
    before = snapshot(tmp_path)
    for out, match in ((mine, 'is not a proposal store'),
                       (tmp_path / 'a_file', 'is not a folder'),
                       (tmp_path / 'other', 'not a proposals work folder')):
        with pytest.raises(FileExistsError, match=match):
            generate_store(image_root, str(out), progress=False)
    assert snapshot(tmp_path) == before
    # an empty folder is fine (and becomes the store)
    (tmp_path / 'empty').mkdir()
    lst = tmp_path / 'one.txt'
    lst.write_text('odd/tiny.jpg\n')
    res = generate_store(str(lst), str(tmp_path / 'empty'),
                         image_root=image_root, progress=False)
    assert list(ProposalStore(res.path).keys()) == ['odd/tiny.jpg']


def test_file_list_output_may_sit_beside_but_not_over_images(image_root,
                                                             tmp_path):
    """A file list names its images, so OUT may be inside the list's root
    (data/train.txt -> data/proposals), but not over a folder of them."""
    images = copy_images(image_root, tmp_path / 'data')
    lst = osp.join(images, 'list.txt')
    with open(lst, 'w') as f:
        f.write('odd/tiny.jpg\nodd/trailing.jpg\n')
    res = generate_store(lst, osp.join(images, 'proposals'), progress=False)
    assert len(ProposalStore(res.path)) == 2
    before = snapshot(images)
    with pytest.raises(FileExistsError, match='is not a proposal store'):
        generate_store(lst, osp.join(images, 'odd'), progress=False)
    assert snapshot(images) == before


def test_cli_refuses_before_any_work(image_root, tmp_path, tool_env):
    images = copy_images(image_root, tmp_path / 'images')
    mine = tmp_path / 'results'
    mine.mkdir()
    (mine / 'table.csv').write_text('a,b\n')
    before = snapshot(tmp_path)
    tool = osp.join(REPO, 'tools', 'generate_proposals.py')
    for out, needle in ((images, 'is the image root'),
                        (str(mine), 'is not a proposal store')):
        t = time.monotonic()
        r = subprocess.run([sys.executable, tool, images, out],
                           env=tool_env, capture_output=True, text=True,
                           timeout=120)
        lines = r.stderr.strip().splitlines()
        assert r.returncode == 2 and len(lines) == 1, r.stderr
        assert lines[0].startswith(f'error: output {out} ') and \
            needle in lines[0]
        assert 'choose' in lines[0]  # says what to do
        assert time.monotonic() - t < 60
    assert snapshot(tmp_path) == before


# ---------------------------------------------------- rerunning a finished job
def test_rerun_of_a_finished_store(image_root, reference, tmp_path,
                                   monkeypatch, capsys):
    from mmsoco.proposals.runner import generator
    out = str(tmp_path / 'store')
    shutil.copytree(reference[0], out)
    meta = json.load(open(osp.join(out, 'meta.json')))
    assert meta['manifest']['num_images'] == 13
    assert len(meta['manifest']['keys_sha256']) == 64
    before = snapshot(tmp_path)

    def no_compute(*args, **kwargs):
        raise AssertionError('a finished store was recomputed')

    monkeypatch.setattr(generator, 'WorkerPool', no_compute)
    # same settings (the chunk size does not change the store): at once
    res = generate_store(image_root, out, chunk_size=5)
    assert res.already_complete and res.path == out
    assert res.computed_chunks == 0 and res.num_images == 13
    assert sorted(res.bad) == sorted(reference[1].bad)
    assert res.stage_counts == reference[1].stage_counts
    assert 'already complete with these settings' in capsys.readouterr().err
    # different settings: stop, say which and what to do
    with pytest.raises(ValueError, match=r'different settings \(scale\); '
                       'choose another output path, or pass --overwrite'):
        generate_store(image_root, out, scale=200)
    with pytest.raises(ValueError, match=r'different settings \(filter, '
                       r'stages\)'):
        generate_store(image_root, out, filter=_other_filter())
    extra = tmp_path / 'more'
    copy_images(image_root, extra)
    (extra / 'n01' / 'copy.jpg').write_bytes(
        (extra / 'n00' / REAL[0]).read_bytes())
    with pytest.raises(ValueError, match=r'\(image_root, keys_sha256, '
                       r'num_images\)'):
        generate_store(str(extra), out)
    after = snapshot(tmp_path)
    assert {k: v for k, v in after.items()
            if not k.startswith('more' + os.sep)} == before


def _other_filter():
    from mmsoco.proposals import FILTERS
    return next(n for n in sorted(FILTERS) if n != 'ratio3size0308')


def test_overwrite_replaces_a_store_made_otherwise(image_root, tmp_path):
    lst = tmp_path / 'two.txt'
    lst.write_text('odd/tiny.jpg\nn00/000000005001.jpg\n')
    out = str(tmp_path / 'store')
    generate_store(str(lst), out, image_root=image_root, progress=False,
                   scale=200)
    old = ProposalStore(out)['n00/000000005001.jpg']
    # the replacement is built in the work folder; the old store stays
    # whole until the new one is complete
    res = generate_store(str(lst), out, image_root=image_root,
                         progress=False, chunk_size=1, max_chunks=1,
                         overwrite=True)
    assert res.path is None
    np.testing.assert_array_equal(ProposalStore(out)['n00/000000005001.jpg'],
                                  old)
    res = generate_store(str(lst), out, image_root=image_root,
                         progress=False, chunk_size=1, overwrite=True)
    assert res.reused_chunks == 1 and res.computed_chunks == 1
    store = ProposalStore(out)
    assert store.meta['manifest']['scale'] == 300.0
    assert not np.array_equal(store['n00/000000005001.jpg'], old)
    assert sorted(os.listdir(tmp_path)) == ['store', 'two.txt']


def test_cli_rerun_says_so(image_root, reference, tmp_path, tool_env):
    out = str(tmp_path / 'store')
    shutil.copytree(reference[0], out)
    before = snapshot(out)
    tool = osp.join(REPO, 'tools', 'generate_proposals.py')
    r = subprocess.run([sys.executable, tool, image_root, out],
                       env=tool_env, capture_output=True, text=True,
                       timeout=120)
    assert r.returncode == 0, r.stderr
    assert f'proposal store {out} is already complete with these settings ' \
        '(13 images' in r.stderr and 'img/s' not in r.stderr
    r = subprocess.run([sys.executable, tool, image_root, out, '--sigma',
                        '0.5'], env=tool_env, capture_output=True, text=True,
                       timeout=120)
    lines = r.stderr.strip().splitlines()
    assert r.returncode == 2 and len(lines) == 1, r.stderr
    assert '(sigma)' in lines[0] and '--overwrite' in lines[0]
    assert snapshot(out) == before


# ----------------------------------------------------------- atomic leftovers
def _dead_pid():
    p = subprocess.Popen(['true'])
    p.wait()
    return p.pid


def test_stale_temp_folders_of_a_killed_write_are_removed(
        image_root, tmp_path, capsys):
    """A SIGKILL inside write_store leaves .<name>.tmp-*; the next run of
    the same store removes it (and only what is provably stale)."""
    import socket
    out = tmp_path / 'store'
    killer = f'''
import os, signal
import numpy as np
from mmsoco.proposals.store import writer as store
real = np.save
def save(path, arr, *a, **k):
    real(path, arr, *a, **k)
    if path.endswith('offsets.npy'):
        os.kill(os.getpid(), signal.SIGKILL)
store.np.save = save
store.write_store({str(out)!r}, ['a.jpg'], [np.array([[0, 0, 5, 5]])])
'''
    r = subprocess.run([sys.executable, '-c', killer], timeout=60)
    assert r.returncode == -signal.SIGKILL
    left = [n for n in os.listdir(tmp_path) if n.startswith('.store.tmp-')]
    assert len(left) == 1 and not out.exists()
    host, dead = socket.gethostname(), _dead_pid()
    stale_old = tmp_path / f'store.old-.store.tmp-{host}-{dead}-abcd_123'
    keep = [f'.store.tmp-{host}-{os.getpid()}-livewrit',  # writer alive
            f'.store.tmp-elsewhere-{dead}-otherhst',  # other host, recent
            f'.store.tmp-{host}-{dead}-hasafold',  # holds a folder: not ours
            'store.old-backup',  # the user's
            f'.other.tmp-{host}-{dead}-abcdefgh']  # another store's
    for name in [stale_old.name] + keep:
        (tmp_path / name).mkdir()
        (tmp_path / name / 'boxes.npy').write_bytes(b'x')
    (tmp_path / keep[2] / 'sub').mkdir()
    lst = tmp_path / 'one.txt'
    lst.write_text('odd/tiny.jpg\n')
    generate_store(str(lst), str(out), image_root=image_root,
                   progress=False)
    assert sorted(os.listdir(tmp_path)) == sorted(
        keep + ['store', 'one.txt'])
    err = capsys.readouterr().err
    assert f'removed {tmp_path / left[0]}, left by an interrupted write' in \
        err and str(stale_old) in err


def test_files_are_synced_before_they_are_renamed(image_root, tmp_path,
                                                  monkeypatch):
    from mmsoco.utils import atomic as atomic_mod
    events = []
    real_sync, real_rename, real_replace = (atomic_mod.fsync_path,
                                            os.rename, os.replace)

    def sync(path):
        events.append(('sync', osp.abspath(path)))
        real_sync(path)

    def renamer(kind, real):
        def rename(a, b):
            events.append((kind, osp.abspath(a), osp.abspath(b)))
            real(a, b)
        return rename

    monkeypatch.setattr(atomic_mod, 'fsync_path', sync)
    monkeypatch.setattr(os, 'rename', renamer('rename', real_rename))
    monkeypatch.setattr(os, 'replace', renamer('rename', real_replace))
    lst = tmp_path / 'two.txt'
    lst.write_text('odd/tiny.jpg\nodd/trailing.jpg\n')
    out = str(tmp_path / 'store')
    generate_store(str(lst), out, image_root=image_root, progress=False,
                   chunk_size=1, keep_work_dir=True)
    synced = set()
    renames = 0
    for ev in events:
        if ev[0] != 'sync' and not ev[2].startswith(str(tmp_path)):
            continue  # e.g. numba writing its cache
        if ev[0] == 'sync':
            synced.add(ev[1])
            continue
        renames += 1
        src, dst = ev[1], ev[2]
        files = ([osp.join(src, f) for f in os.listdir(dst)]
                 if osp.isdir(dst) else [src])
        assert set(files) <= synced, (ev, set(files) - synced)
        if osp.isdir(dst):
            assert src in synced
        i = events.index(ev)
        assert ('sync', osp.dirname(dst)) in events[i:], ev  # the entry too
    # 2 shards + the manifest + the store
    assert renames == 4
