"""Crafted and damaged stores are refused when opened (or when the damaged
box is read) with one line naming the file, by ProposalStore, by
tools/analyze_proposals.py (exit 2) and by SoCoDataset (a
ProposalStoreError, which tools/train.py prints as one line)."""
import json
import os
import os.path as osp

import numpy as np
import pytest

from mmsoco.proposals import ProposalStore, StoreError, write_store

from ..helpers import REPO, load_script

TOOL = osp.join(REPO, 'tools', 'analyze_proposals.py')


@pytest.fixture(scope='module')
def analyze():
    return load_script(TOOL).main


def good_store(path, dtype=np.float32):
    keys = ['a.jpg', 'b/ç.jpg', 'c.jpg']
    boxes = [np.array([[0, 0, 10, 10], [1, 1, 5, 7]], dtype),
             np.zeros((0, 4), dtype), np.array([[2, 2, 9.5, 9]], dtype)]
    return write_store(str(path), keys, boxes,
                       image_stats=np.full((3, 4), 20, np.int64))


def npy(path, name, arr):
    np.save(osp.join(path, name + '.npy'), arr)


def truncate(path, name, size):
    with open(osp.join(path, name), 'r+b') as f:
        f.truncate(size)


def poke(path, name, offset, data):
    with open(osp.join(path, name), 'r+b') as f:
        f.seek(offset)
        f.write(data)


def edit_meta(path, **kw):
    meta = json.load(open(osp.join(path, 'meta.json')))
    meta.update(kw)
    json.dump(meta, open(osp.join(path, 'meta.json'), 'w'))


CRAFTS = {
    'boxes.npy truncated': ('boxes.npy', lambda p: truncate(
        p, 'boxes.npy', 140)),
    'boxes.npy wrong header': ('boxes.npy', lambda p: poke(
        p, 'boxes.npy', 0, b'\x00GARBAGE\x00')),
    'boxes.npy empty': ('boxes.npy', lambda p: truncate(p, 'boxes.npy', 0)),
    'boxes.npy (M, 3)': ('boxes.npy', lambda p: npy(
        p, 'boxes', np.zeros((3, 3), np.float32))),
    'boxes.npy object array': ('boxes.npy', lambda p: npy(
        p, 'boxes', np.array([{'x': 1}] * 3, dtype=object))),
    'meta.json invalid': ('meta.json', lambda p: open(
        osp.join(p, 'meta.json'), 'w').write('{"format": ')),
    'meta.json not UTF-8': ('meta.json', lambda p: open(
        osp.join(p, 'meta.json'), 'wb').write(b'{"format": "\xff"}')),
    'meta.json a list': ('meta.json', lambda p: open(
        osp.join(p, 'meta.json'), 'w').write('[1, 2]')),
    'meta.json wrong count': ('meta.json', lambda p: edit_meta(
        p, num_keys=7)),
    'offsets past the boxes': ('offsets.npy', lambda p: npy(
        p, 'offsets', np.array([0, 2, 2, 9], np.int64))),
    'offsets decreasing': ('offsets.npy', lambda p: npy(
        p, 'offsets', np.array([0, 2, 1, 3], np.int64))),
    'hash_order out of range': ('hash_order.npy', lambda p: npy(
        p, 'hash_order', np.array([0, 1, 5], np.int64))),
    'hash_order repeats': ('hash_order.npy', lambda p: npy(
        p, 'hash_order', np.array([0, 1, 1], np.int64))),
    'hashes float': ('hashes.npy', lambda p: npy(
        p, 'hashes', np.zeros(3, np.float64))),
    'keys.bin not UTF-8': ('keys.bin', lambda p: poke(
        p, 'keys.bin', 0, b'\xff')),
    'key_offsets split a character': ('key_offsets.npy', lambda p: npy(
        p, 'key_offsets', np.array([0, 5, 8, 18], np.int64))),
    'key_offsets past keys.bin': ('key_offsets.npy', lambda p: npy(
        p, 'key_offsets', np.array([0, 5, 11, 99], np.int64))),
    'keys.bin missing': ('keys.bin', lambda p: os.remove(
        osp.join(p, 'keys.bin'))),
    'image_stats (K, 3)': ('image_stats.npy', lambda p: npy(
        p, 'image_stats', np.zeros((3, 3), np.int64))),
}


@pytest.mark.parametrize('case', sorted(CRAFTS))
def test_a_crafted_store_is_refused_naming_the_file(tmp_path, case,
                                                    analyze, capsys):
    path = good_store(tmp_path / 'store')
    name, craft = CRAFTS[case]
    craft(path)
    with pytest.raises(StoreError) as e:
        ProposalStore(path)
    line = str(e.value)
    assert '\n' not in line
    assert osp.join(path, name) in line or (
        name == 'meta.json' and 'unsupported store format' in line), line
    assert analyze([path]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == [f'error: {line}']


def test_a_sound_store_passes_and_empty_stores_open(tmp_path):
    s = ProposalStore(good_store(tmp_path / 'store'))
    assert list(s.keys()) == ['a.jpg', 'b/ç.jpg', 'c.jpg']
    assert s['c.jpg'].tolist() == [[2, 2, 9.5, 9]]
    assert len(ProposalStore(write_store(str(tmp_path / 'e'), [], []))) == 0


@pytest.mark.parametrize('bad', [np.nan, np.inf])
def test_a_box_that_is_not_finite_is_refused_when_read(tmp_path, bad,
                                                       analyze, capsys):
    path = good_store(tmp_path / 'store')
    boxes = np.load(osp.join(path, 'boxes.npy'))
    boxes[2, 1] = bad
    npy(path, 'boxes', boxes)
    s = ProposalStore(path)  # the boxes are checked per lookup
    assert s['a.jpg'].shape == (2, 4)
    with pytest.raises(StoreError, match='boxes.npy holds a box of entry '
                       '2 that is not finite'):
        s['c.jpg']
    assert analyze([path]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and 'boxes.npy holds a box of entry 2' in err[0]


@pytest.mark.parametrize('key', ['../secret.jpg', '/etc/passwd',
                                 'a/../../x.jpg'])
def test_show_never_opens_a_key_outside_the_image_root(tmp_path, key,
                                                       analyze, capsys,
                                                       monkeypatch):
    import mmsoco.image_set as image_set
    from mmsoco.proposals.store import analysis
    opened = []
    monkeypatch.setattr(image_set, 'load_rgb', opened.append)
    monkeypatch.setattr(analysis, 'load_rgb', opened.append)
    root = tmp_path / 'images'
    root.mkdir()
    path = write_store(str(tmp_path / 'store'), [key],
                       [np.array([[0, 0, 5, 5]])],
                       image_stats=np.array([[10, 10, 1, 1]]))
    out = tmp_path / 'pictures'
    assert analyze([path, '--image-root', str(root), '--show', '1',
                    '--out', str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f'image entry {key!r} is outside the image ' \
        f'root {root}' in err[0], err
    # without image_stats the sizes would be read from the images: refused
    # the same way, before any is opened
    path2 = write_store(str(tmp_path / 'store2'), [key],
                        [np.array([[0, 0, 5, 5]])])
    assert analyze([path2, '--image-root', str(root)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and f'image entry {key!r}' in err[0]
    assert opened == [] and not out.exists()


def test_the_dataset_turns_a_damaged_store_into_its_one_line(
        tmp_path, photo_folder):
    from mmengine.registry import init_default_scope

    from mmsoco.datasets.errors import (DatasetConfigError,
                                        ProposalStoreError,
                                        dataset_error_message)
    from mmsoco.registry import DATASETS
    init_default_scope('mmsoco')
    keys = sorted(os.listdir(photo_folder))
    store = write_store(str(tmp_path / 'store'), keys,
                        [np.array([[0, 0, 9, 9]], np.float32)] * len(keys))
    truncate(store, 'boxes.npy', 130)
    with pytest.raises(ProposalStoreError) as e:
        DATASETS.build(dict(type='SoCoDataset', data_root=photo_folder,
                            proposals=store, pipeline=[]))
    assert isinstance(e.value, DatasetConfigError)
    line = dataset_error_message(e.value)
    assert line.startswith(f'SoCoDataset: proposals store file '
                           f'{store}/boxes.npy is not a readable .npy array')
    assert line.endswith(f'remake the store with: python tools/'
                         f'generate_proposals.py {photo_folder} {store} '
                         '--overwrite') and '\n' not in line
