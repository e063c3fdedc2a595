"""Each sample's views are a pure function of (seed, epoch, index): the
seeded samplers tag their indices, SoCoDataset turns the tag into the
transforms' generators, and the result does not depend on the worker count
or on which process loads the sample."""
import copy
import glob
import os
import os.path as osp
import pickle
from collections import Counter

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.dataset import DefaultSampler, InfiniteSampler, pseudo_collate
from mmengine.registry import init_default_scope

from mmsoco.datasets import (SampleIndex, SeededDefaultSampler,
                             SeededInfiniteSampler)
from mmsoco.proposals import write_store
from mmsoco.registry import DATASETS

from ..helpers import REPO

N = 6


@pytest.fixture(scope='module')
def small_set(photo_folder, tmp_path_factory):
    """N real photos (``photo_folder``) and a store of random boxes inside
    them."""
    root = tmp_path_factory.mktemp('seeded')
    imgs = root / 'images'
    imgs.mkdir()
    src = sorted(glob.glob(osp.join(photo_folder, '*.jpg')))[:N]
    for p in src:
        os.symlink(p, imgs / osp.basename(p))
    keys = sorted(osp.basename(p) for p in src)
    rng = np.random.default_rng(0)
    boxes = []
    for _ in keys:
        xy = rng.uniform(0, 200, (12, 2))
        boxes.append(np.concatenate([xy, xy + rng.uniform(60, 200, (12, 2))],
                                    1).astype(np.float32))
    return str(imgs), write_store(str(root / 'store'), keys, boxes), keys


def build(small_set, color=True, proposals=None):
    init_default_scope('mmsoco')
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets',
                                   'soco_imagenet.py'))
    ds = copy.deepcopy(cfg.train_dataloader.dataset)
    ds.update(data_root=small_set[0], proposals=proposals or small_set[1])
    if not color:
        ds.pipeline = [t for t in ds.pipeline if t.type != 'ViewColorAug']
    return DATASETS.build(ds)


def same(a: dict, b: dict) -> bool:
    return (all(torch.equal(x, y) for x, y in zip(a['inputs'], b['inputs']))
            and torch.equal(a['data_samples'].pair_boxes,
                            b['data_samples'].pair_boxes))


def test_sample_index_is_an_int_that_pickles_with_its_tag():
    i = SampleIndex(5, seed=7, epoch=3)
    assert i == 5 and [10, 11, 12, 13, 14, 15][i] == 15
    j = pickle.loads(pickle.dumps(i))
    assert type(j) is SampleIndex and j.view_seed == (7, 3, 5)
    with pytest.raises(ValueError, match='>= 0'):
        SampleIndex(-1, 0, 0)


def test_seeded_default_sampler_keeps_the_order_and_tags_the_epoch():
    data = list(range(10))
    for epoch in (0, 3):
        ref = DefaultSampler(data, shuffle=True, seed=11)
        ours = SeededDefaultSampler(data, shuffle=True, seed=11)
        ref.set_epoch(epoch)
        ours.set_epoch(epoch)
        got = list(ours)
        assert got == list(ref)  # same shuffle
        assert {(i.seed, i.epoch) for i in got} == {(11, epoch)}


@pytest.mark.parametrize('world', [1, 2, 3])
def test_seeded_infinite_sampler_tags_each_index_with_its_pass(world):
    """Across ranks, every pass over the 10 indices (tagged with the same
    epoch) holds each index exactly once."""
    size, per_rank = 10, 40
    seen = []
    for rank in range(world):
        ref = InfiniteSampler(list(range(size)), shuffle=True, seed=5)
        ours = SeededInfiniteSampler(list(range(size)), shuffle=True, seed=5)
        for s in (ref, ours):  # as torch.distributed would set them
            s.rank, s.world_size = rank, world
            s.indices = s._indices_of_rank()
        got = [next(ours.indices) for _ in range(per_rank)]
        assert got == [next(ref.indices) for _ in range(per_rank)]
        seen += [(i.epoch, int(i)) for i in got]
    complete = world * per_rank // size
    for epoch in range(complete):
        counts = Counter(i for e, i in seen if e == epoch)
        assert counts == Counter(range(size)), (epoch, counts)


def test_views_are_a_function_of_seed_epoch_and_index(small_set):
    ds = build(small_set)
    a = ds[SampleIndex(2, seed=0, epoch=1)]
    assert same(a, build(small_set)[SampleIndex(2, seed=0, epoch=1)])
    assert not same(a, ds[SampleIndex(2, seed=0, epoch=2)])
    assert not same(a, ds[SampleIndex(2, seed=1, epoch=1)])
    # a plain index keeps the per-process stream: two loads differ
    assert not same(ds[2], ds[2])


def test_color_options_do_not_shift_the_geometry(small_set):
    """Each transform has its own stream under the sample's seed."""
    with_color, without = build(small_set), build(small_set, color=False)
    for i in range(N):
        idx = SampleIndex(i, seed=3, epoch=0)
        a, b = with_color[idx], without[idx]
        assert torch.equal(a['data_samples'].pair_boxes,
                           b['data_samples'].pair_boxes)
        assert a['data_samples'].crops == b['data_samples'].crops


def load_epochs(ds, num_workers, epochs=(0, 1)):
    sampler = SeededDefaultSampler(ds, shuffle=True, seed=4)
    loader = torch.utils.data.DataLoader(
        ds, batch_size=2, sampler=sampler, num_workers=num_workers,
        collate_fn=pseudo_collate, persistent_workers=num_workers > 0)
    out = []
    for epoch in epochs:
        sampler.set_epoch(epoch)
        out.append([b for b in loader])
    return out


def test_views_do_not_depend_on_the_worker_count(small_set):
    ds = build(small_set)
    serial = load_epochs(ds, 0)
    workers = load_epochs(ds, 2)  # persistent: told the epoch by the index
    for e0, e1 in zip(serial, workers):
        for b0, b1 in zip(e0, e1):
            for k in range(2):
                assert same(dict(inputs=[v[k] for v in b0['inputs']],
                                 data_samples=b0['data_samples'][k]),
                            dict(inputs=[v[k] for v in b1['inputs']],
                                 data_samples=b1['data_samples'][k]))
    # the epoch reached the persistent workers: every image's views differ
    by_epoch = [{s.img_path: s.pair_boxes for b in epoch
                 for s in b['data_samples']} for epoch in workers]
    assert len(by_epoch[0]) == N
    assert all(not torch.equal(by_epoch[0][p], by_epoch[1][p])
               for p in by_epoch[0])


class _Logger:

    def __init__(self):
        self.lines = []

    def warning(self, msg):
        self.lines.append(msg)


class _Runner:
    """What SoCoDataHook reads from the runner."""

    def __init__(self, loader):
        self.train_dataloader, self.epoch = loader, 0
        self.logger = _Logger()


def test_data_hook_logs_fallbacks_every_epoch_and_checks_the_sampler(
        small_set, tmp_path):
    from mmsoco.engine.hooks import SoCoDataHook
    _, store, keys = small_set
    # two images missing from this store, one with no proposal
    partial = write_store(str(tmp_path / 'partial'), keys[2:],
                          [np.zeros((0, 4), np.float32)] +
                          [np.array([[0, 0, 50, 50]], np.float32)] *
                          (len(keys) - 3))
    ds = build(small_set, proposals=partial)
    hook = SoCoDataHook()
    runner = _Runner(torch.utils.data.DataLoader(
        ds, sampler=SeededDefaultSampler(ds, seed=0)))
    hook.before_train(runner)
    assert runner.logger.lines == []  # seeded sampler: nothing to say
    for epoch in range(3):
        runner.epoch = epoch
        hook.before_train_epoch(runner)
    assert runner.logger.lines == [
        f'epoch {e + 1}: SoCoDataset: 3 of {N} images use the whole image '
        f'as their one box (2 not in {partial}, 1 with no proposal)'
        for e in range(3)]
    # a stock sampler: warned once, before training
    runner = _Runner(torch.utils.data.DataLoader(
        build(small_set), sampler=DefaultSampler(ds, seed=0)))
    hook.before_train(runner)
    hook.before_train_epoch(runner)  # every image has proposals: silent
    assert len(runner.logger.lines) == 1
    assert 'DefaultSampler' in runner.logger.lines[0]
    assert 'SeededDefaultSampler' in runner.logger.lines[0]
