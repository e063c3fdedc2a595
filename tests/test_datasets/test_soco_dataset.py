"""SoCoDataset on real photos (the ``photo_folder`` fixture) joined with a
real ProposalStore, the dataset base configs end to end, and bad input."""
import copy
import glob
import os
import os.path as osp
import pickle

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import pseudo_collate
from mmengine.registry import init_default_scope

from mmsoco.proposals import ProposalStore, write_store
from mmsoco.registry import DATASETS, MODELS
from mmsoco.structures import SoCoDataSample

from ..helpers import REPO

N = 10


def boxes_for(rng, n=12, w=400, h=300):
    xy = rng.uniform(0, 1, (n, 2)) * [w * 0.6, h * 0.6]
    wh = rng.uniform(0.2, 0.4, (n, 2)) * [w, h]
    return np.round(np.concatenate([xy, xy + wh], 1)).astype(np.float32)


@pytest.fixture(scope='module')
def flat_set(photo_folder, tmp_path_factory):
    """N real photos in a flat folder and a store for all of them."""
    root = tmp_path_factory.mktemp('flat')
    imgs = root / 'images'
    imgs.mkdir()
    src = sorted(glob.glob(osp.join(photo_folder, '*.jpg')))[:N]
    for p in src:
        os.symlink(p, imgs / osp.basename(p))
    keys = sorted(osp.basename(p) for p in src)
    rng = np.random.default_rng(0)
    store = write_store(str(root / 'store'), keys,
                        [boxes_for(rng) for _ in keys])
    return str(imgs), store, keys


def build(cfg_name, data_root, proposals, **kw):
    init_default_scope('mmsoco')
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets',
                                   cfg_name))
    ds = copy.deepcopy(cfg.train_dataloader.dataset)
    ds.update(data_root=data_root, proposals=proposals, **kw)
    return DATASETS.build(ds)


@pytest.mark.parametrize('cfg_name,sizes', [
    ('soco_imagenet.py', (224, 224, 112)),
    ('soco_imagenet_no-cutout.py', (224, 224, 112)),
    ('soco-star_imagenet.py', (224, 224, 192, 112)),
    ('soco-c4_imagenet.py', (224, 224)),
])
def test_base_configs_give_the_packed_contract(flat_set, cfg_name, sizes):
    root, store, keys = flat_set
    ds = build(cfg_name, root, store)
    assert len(ds) == N and ds.num_missing == ds.num_empty == 0
    item = ds[3]
    assert [tuple(t.shape) for t in item['inputs']] == [(3, s, s)
                                                        for s in sizes]
    assert all(t.dtype == torch.uint8 for t in item['inputs'])
    sample = item['data_samples']
    assert isinstance(sample, SoCoDataSample)
    assert sample.pair_boxes.shape == (len(sizes) - 1, 2, 4, 4)
    assert sample.pair_boxes.dtype == torch.float32
    assert sample.view_shapes == [(s, s) for s in sizes]
    assert sample.img_path.endswith(keys[3])
    # a batch through the model's data preprocessor
    batch = pseudo_collate([ds[i] for i in range(2)])
    pre = MODELS.build(dict(type='MultiViewDataPreprocessor'))
    out = pre(batch)
    assert [tuple(v.shape) for v in out['inputs']] == [(2, 3, s, s)
                                                       for s in sizes]
    assert len(out['data_samples']) == 2


def test_imagenet_layout_and_list_file(photo_folder, tmp_path):
    src = sorted(glob.glob(osp.join(photo_folder, '*.jpg')))[:6]
    keys = []
    for i, p in enumerate(src):
        cls = f'n0000000{i % 2}'
        os.makedirs(tmp_path / 'train' / cls, exist_ok=True)
        os.symlink(p, tmp_path / 'train' / cls / osp.basename(p))
        keys.append(f'{cls}/{osp.basename(p)}')
    rng = np.random.default_rng(1)
    store = write_store(str(tmp_path / 'store'), keys,
                        [boxes_for(rng) for _ in keys])
    ds = build('soco_imagenet.py', str(tmp_path / 'train'), store)
    got = sorted(ds.get_data_info(i)['key'] for i in range(len(ds)))
    assert got == sorted(keys)
    assert ds[0]['data_samples'].pair_boxes.shape == (2, 2, 4, 4)
    # a list file in ImageNet's 'path label' form, a subset
    lst = tmp_path / 'train.txt'
    lst.write_text('# subset\n' + ''.join(f'{k} 0\n' for k in keys[:3]))
    ds = build('soco_imagenet.py', str(tmp_path / 'train'), store,
               ann_file=str(lst))
    assert [ds.get_data_info(i)['key'] for i in range(len(ds))] == keys[:3]


def test_missing_and_empty_entries_use_the_whole_image(flat_set, tmp_path):
    root, _, keys = flat_set
    rng = np.random.default_rng(2)
    stored = keys[2:]  # two images missing from the store
    boxes = [boxes_for(rng) for _ in stored]
    boxes[0] = np.zeros((0, 4), np.float32)  # one with no proposal
    store = write_store(str(tmp_path / 'store'), stored, boxes)
    ds = build('soco_imagenet.py', root, store)
    assert (ds.num_missing, ds.num_empty) == (2, 1)
    for i in (0, 1, 2):
        info = ds.get_data_info(i)
        assert info['proposals'].shape == (1, 4)
        sample = ds[i]['data_samples']
        pb = sample.pair_boxes
        # the whole image is the one box: view 1's box is the whole view
        # (up to jitter) and each partner box is the whole crop
        assert (sample.pair_ids == 0).all()
        np.testing.assert_allclose(pb[0, 1].numpy(),
                                   [[0, 0, 224, 224]] * 4, atol=1e-3)
        np.testing.assert_allclose(pb[1, 1].numpy(),
                                   [[0, 0, 112, 112]] * 4, atol=1e-3)
    assert ds.get_data_info(5)['proposals'].shape == (12, 4)


def test_dataset_pickles_without_its_store_and_loads_in_workers(flat_set):
    root, store, _ = flat_set
    ds = build('soco-c4_imagenet.py', root, store)
    _ = ds.store
    clone = pickle.loads(pickle.dumps(ds))
    assert clone._store is None
    assert isinstance(clone.store, ProposalStore)
    loader = torch.utils.data.DataLoader(ds, batch_size=2, num_workers=2,
                                         collate_fn=pseudo_collate)
    batches = list(loader)
    assert len(batches) == N // 2
    assert len(batches[0]['inputs']) == 2  # views
    assert len(batches[0]['inputs'][0]) == 2  # samples


def one_line(exc) -> str:
    msg = str(exc.value)
    assert '\n' not in msg
    return msg


def test_missing_data_root_names_path_and_command(flat_set, tmp_path):
    _, store, _ = flat_set
    bad = str(tmp_path / 'nowhere')
    with pytest.raises(FileNotFoundError) as e:
        build('soco_imagenet.py', bad, store)
    msg = one_line(e)
    assert bad in msg and f'python tools/generate_proposals.py {bad}' in msg


def test_missing_store_names_path_and_command(flat_set, tmp_path):
    root, _, _ = flat_set
    bad = str(tmp_path / 'no_store')
    with pytest.raises(FileNotFoundError) as e:
        build('soco_imagenet.py', root, bad)
    msg = one_line(e)
    assert f'python tools/generate_proposals.py {root} {bad}' in msg


def test_store_of_another_image_set(flat_set, tmp_path):
    root, _, _ = flat_set
    other = write_store(str(tmp_path / 'other'), ['a/b.jpg', 'c.jpg'],
                        [boxes_for(np.random.default_rng(0))] * 2)
    with pytest.raises(ValueError) as e:
        build('soco_imagenet.py', root, other)
    msg = one_line(e)
    assert other in msg and root in msg and '0 of 10' in msg
    assert 'python tools/generate_proposals.py' in msg


def test_empty_folder_and_missing_list(tmp_path, flat_set):
    _, store, _ = flat_set
    (tmp_path / 'empty').mkdir()
    with pytest.raises(FileNotFoundError, match='no images under'):
        build('soco_imagenet.py', str(tmp_path / 'empty'), store)
    with pytest.raises(FileNotFoundError, match='ann_file'):
        build('soco_imagenet.py', flat_set[0], store,
              ann_file=str(tmp_path / 'missing.txt'))


@pytest.mark.parametrize('entry', ['../outside.jpg', '/etc/passwd'])
def test_list_entries_outside_the_data_root(tmp_path, flat_set, entry):
    """A list file naming an image outside data_root: the dataset's one
    line naming the entry (mmsoco.image_set.roots), nothing opened."""
    from mmsoco.datasets.errors import (DatasetConfigError,
                                        dataset_error_message)
    images, store, keys = flat_set
    lst = tmp_path / 'train.txt'
    lst.write_text(f'{keys[0]}\n{entry}\n')
    with pytest.raises(DatasetConfigError) as e:
        build('soco_imagenet.py', images, store, ann_file=str(lst))
    line = dataset_error_message(e.value)
    assert line.startswith(f'SoCoDataset: image entry {entry!r} is outside '
                           f'the image root {images}') and '\n' not in line
