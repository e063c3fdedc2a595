"""Bad images never kill a run (mmsoco.datasets.bad_images): the files the
proposals tool recorded as bad are left out of SoCoDataset, an image that
fails in training is replaced by a sample chosen from (seed, epoch, index)
alone, the same in any process, and the failures are counted in the main
process, logged once per epoch and stop the run above a share."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.dataset import pseudo_collate

from mmsoco.datasets import SampleIndex
from mmsoco.datasets.bad_images import (BadImageTally, failures_in_batch,
                                        prepare_or_replace,
                                        recorded_bad_files,
                                        replacement_candidates)
from mmsoco.datasets.errors import (DatasetConfigError,
                                    TooManyBadImagesError,
                                    dataset_error_message)
from mmsoco.image_set import BadImage
from mmsoco.proposals import write_store

from .image_folders import (add_bad_files, build_dataset, photo_folder, rot,
                            some_boxes)


def test_replacements_are_a_pure_function_of_seed_epoch_index():
    a = replacement_candidates(SampleIndex(3, 7, 2), 10)
    assert a == replacement_candidates(SampleIndex(3, 7, 2), 10)
    assert len(a) == 8 and 3 not in a and all(0 <= j < 10 for j in a)
    assert a != replacement_candidates(SampleIndex(3, 7, 3), 10)  # epoch
    assert a != replacement_candidates(SampleIndex(3, 8, 2), 10)  # seed
    assert replacement_candidates(3, 10) == replacement_candidates(
        SampleIndex(3, 0, 0), 10)
    assert replacement_candidates(0, 1) == []  # nothing to replace with


def fake_load(bad):
    def load(j):
        if j in bad:
            raise BadImage(f'/data/img{int(j)}.jpg: not a decodable image')
        return dict(inputs=[int(j)], data_samples=_Sample(), index=j)
    return load


class _Sample:
    def __init__(self):
        self.metainfo = {}

    def set_metainfo(self, meta):
        self.metainfo.update(meta)


def test_prepare_or_replace_records_the_failures():
    idx = SampleIndex(2, 5, 1)
    out = prepare_or_replace(idx, 10, fake_load({2}))
    first = replacement_candidates(idx, 10)[0]
    assert out['inputs'] == [first]
    # the replacement keeps the slot's seed and epoch
    assert isinstance(out['index'], SampleIndex)
    assert out['index'].view_seed == (5, 1, first)
    assert out['data_samples'].metainfo['bad_images'] == [
        (2, 1, '/data/img2.jpg: not a decodable image')]
    good = prepare_or_replace(idx, 10, fake_load(set()))
    assert good['inputs'] == [2] and good['data_samples'].metainfo == {}

    def config_error(j):
        raise DatasetConfigError('not an image problem')
    with pytest.raises(DatasetConfigError, match='not an image problem'):
        prepare_or_replace(idx, 10, config_error)

    with pytest.raises(TooManyBadImagesError) as e:
        prepare_or_replace(idx, 10, fake_load(set(range(10))), 'SoCoDataset')
    assert '\n' not in str(e.value)
    assert str(e.value).startswith('SoCoDataset: sample 2 and 8 ')


def test_tally_logs_each_image_once_per_epoch_and_stops_above_share():
    tally = BadImageTally(40, 0.05, 'SoCoDataset', fix='python x --overwrite')
    f = (3, 0, '/d/a.jpg: cannot read file')
    lines = tally.add([f, f], epoch=0)
    assert len(lines) == 1 and '/d/a.jpg' in lines[0]
    assert 'epoch 1' in lines[0] and '1 of 40' in lines[0]
    assert tally.add([f], epoch=0) == []  # once per epoch
    assert len(tally.add([(3, 1, f[2])], epoch=1)) == 1  # next epoch again
    tally.add([(5, 1, '/d/b.jpg: x')], epoch=1)
    tally.check()  # 2 of 40 = 5 %: not above
    assert tally.replaced == 5  # failed loads, each replaced
    tally.add([(9, None, '/d/c.jpg: x')], epoch=4)
    with pytest.raises(TooManyBadImagesError) as e:
        tally.check()
    msg = str(e.value)
    assert '\n' not in msg and '3 of 40 images (7.5%)' in msg
    assert '/d/a.jpg' in msg and 'python x --overwrite' in msg
    assert 'max_bad_share' in msg


def test_worker_traceback_is_cut_to_the_dataset_line():
    from torch._utils import ExceptionWrapper
    try:
        raise TooManyBadImagesError('SoCoDataset: sample 1 failed')
    except TooManyBadImagesError:
        wrapped = ExceptionWrapper(where='in DataLoader worker process 0')
    with pytest.raises(TooManyBadImagesError) as e:
        wrapped.reraise()
    assert 'Traceback' in str(e.value)
    assert dataset_error_message(e.value) == 'SoCoDataset: sample 1 failed'


@pytest.fixture
def mixed(tmp_path):
    """6 photos + 2 bad files; a store recording the 2 as bad, like the
    proposals tool's report.json."""
    import json
    images = str(tmp_path / 'images')
    keys = photo_folder(images)
    bad = add_bad_files(images, keys[0])
    report = dict(bad_files=[dict(key=k, reason=f'reason of {k}')
                             for k in bad])
    store = write_store(str(tmp_path / 'store'), keys, some_boxes(len(keys)),
                        extra_files={'report.json': json.dumps(report)})
    return images, store, keys


def test_recorded_bad_files_are_left_out(mixed):
    images, store, keys = mixed
    assert recorded_bad_files(store) == {'cut.jpg': 'reason of cut.jpg',
                                         'noise.jpg': 'reason of noise.jpg'}
    ds = build_dataset(images, store)
    assert ds.num_bad == 2 and len(ds) == len(keys)
    assert ds.num_missing == 0  # not counted as whole-image fallbacks
    assert sorted(ds.get_data_info(i)['key'] for i in range(len(ds))) == keys
    assert recorded_bad_files(osp.join(images, 'nowhere')) == {}


def test_an_image_that_rots_is_replaced_the_same_way_in_any_process(mixed):
    images, store, keys = mixed
    ds = build_dataset(images, store)
    k = 2
    rot(osp.join(images, keys[k]))
    idx = SampleIndex(k, 11, 3)
    first = ds[idx]
    assert first['data_samples'].metainfo['bad_images'][0][:2] == (k, 3)
    assert keys[k] in first['data_samples'].metainfo['bad_images'][0][2]
    replacement = replacement_candidates(idx, len(ds))[0]
    assert first['data_samples'].img_path.endswith(keys[replacement])
    again = ds[idx]
    # in a DataLoader worker process: the same replacement and views
    loader = torch.utils.data.DataLoader(
        ds, sampler=[idx, SampleIndex(0, 11, 3)], batch_size=2,
        num_workers=1, collate_fn=pseudo_collate)
    batch = next(iter(loader))
    for a, b, c in zip(first['inputs'], again['inputs'], batch['inputs']):
        assert torch.equal(a, b) and torch.equal(a, c[0])
    # the views differ from those of the replacement's own sample
    own = ds[SampleIndex(replacement, 11, 3)]
    assert not torch.equal(own['inputs'][1], first['inputs'][1])
    failures = failures_in_batch(batch)
    assert len(failures) == 1 and failures[0][:2] == (k, 3)
    assert np.array_equal(first['data_samples'].pair_boxes,
                          batch['data_samples'][0].pair_boxes)


def test_insloc_replaces_a_sample_whose_image_fails(tmp_path):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmsoco.registry import DATASETS
    from ..helpers import REPO
    images = str(tmp_path / 'images')
    keys = photo_folder(images, n=4)
    init_default_scope('mmsoco')
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets',
                                   'insloc_imagenet.py'))
    ds_cfg = cfg.train_dataloader.dataset
    ds_cfg.update(data_root=images)
    ds = DATASETS.build(ds_cfg.to_dict())
    rot(osp.join(images, keys[1]))
    out = ds[SampleIndex(1, 4, 0)]
    failures = out['data_samples'].metainfo['bad_images']
    assert failures[0][:2] == (1, 0) and keys[1] in failures[0][2]
    assert not out['data_samples'].img_path.endswith(keys[1])
