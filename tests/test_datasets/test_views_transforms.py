"""The registered view transforms: thin wrappers, options and contract."""
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.dataset import Compose
from mmengine.registry import init_default_scope

from mmsoco.registry import TRANSFORMS
from mmsoco.structures import SoCoDataSample


@pytest.fixture(scope='module')
def path(photo_folder):
    return osp.join(photo_folder, 'coffee.jpg')


def props():
    return np.array([[10, 10, 300, 300], [100, 50, 500, 400],
                     [200, 100, 420, 300]], np.float32)


def build(cfg):
    init_default_scope('mmsoco')
    return TRANSFORMS.build(cfg)


def test_load_image_rgb(path):
    from PIL import Image
    res = build(dict(type='LoadImageRGB'))(dict(img_path=path))
    ref = np.asarray(Image.open(path).convert('RGB'))
    assert res['img'].shape == ref.shape and res['img'].dtype == np.uint8
    # same decoder family, RGB order: channels agree on average
    assert np.abs(res['img'].astype(int) - ref).mean() < 2
    assert res['ori_shape'] == ref.shape[:2]
    with pytest.raises(OSError, match='missing.jpg'):
        build(dict(type='LoadImageRGB'))(dict(img_path='/nope/missing.jpg'))


@pytest.mark.parametrize('mode', ['independent', 'downsample'])
def test_view3_mode(path, mode):
    # downsample_flip='source': view 3 is view 2 at 112, flip included
    t = build(dict(type='SoCoMultiView', view3_mode=mode,
                   downsample_flip='source'))
    t.set_rng(0)
    load = build(dict(type='LoadImageRGB'))
    for _ in range(10):
        r = t(load(dict(img_path=path, proposals=props())))
        assert r['view_shapes'] == [(224, 224), (224, 224), (112, 112)]
        same = r['crops'][2] == r['crops'][1] and r['flips'][2] == \
            r['flips'][1]
        if mode == 'downsample':
            assert same
    with pytest.raises(ValueError, match='view3_mode'):
        build(dict(type='SoCoMultiView', view3_mode='paper'))


def pipeline(extra=()):
    init_default_scope('mmsoco')
    return Compose([dict(type='LoadImageRGB'), dict(type='SoCoMultiView'),
                    *extra, dict(type='PackSoCoInputs')])


def pin(p, seed):
    for i, t in enumerate(p.transforms):
        if hasattr(t, 'set_rng'):
            t.set_rng([seed, i])


def test_pinned_rng_is_deterministic(path):
    extra = [dict(type='ViewColorAug'), dict(type='InBoxCutout')]
    a, b = pipeline(extra), pipeline(extra)
    pin(a, 3)
    pin(b, 3)
    ra = a(dict(img_path=path, proposals=props()))
    rb = b(dict(img_path=path, proposals=props()))
    for x, y in zip(ra['inputs'], rb['inputs']):
        assert torch.equal(x, y)
    assert torch.equal(ra['data_samples'].pair_boxes,
                       rb['data_samples'].pair_boxes)


def test_pack_contract(path):
    r = pipeline()(dict(img_path=path, proposals=props()))
    assert [tuple(t.shape) for t in r['inputs']] == [(3, 224, 224),
                                                     (3, 224, 224),
                                                     (3, 112, 112)]
    assert all(t.dtype == torch.uint8 and t.is_contiguous()
               for t in r['inputs'])
    s = r['data_samples']
    assert isinstance(s, SoCoDataSample)
    assert s.pair_boxes.shape == (2, 2, 4, 4)
    assert s.pair_boxes.dtype == torch.float32
    assert s.pair_ids.shape == (2, 2, 4) and s.pair_ids.dtype == torch.int64
    assert s.view_shapes == [(224, 224), (224, 224), (112, 112)]
    assert s.img_path == path and len(s.ori_shape) == 2


def test_byol_color_is_asymmetric(path):
    load = build(dict(type='LoadImageRGB'))
    views = build(dict(type='SoCoMultiView', flip_prob=0.))
    # sigma >= 1 so that every blur visibly changes pixels (sigma 0.1 is
    # nearly the identity, as in torchvision)
    color = build(dict(type='ViewColorAug', jitter_prob=0., gray_prob=0.,
                       blur_sigma=(1., 2.)))
    color.set_rng(0)
    changed = np.zeros(3)
    for _ in range(60):
        r = views(load(dict(img_path=path, proposals=props())))
        before = [v.copy() for v in r['views']]
        r = color(r)
        changed += [not np.array_equal(x, y)
                    for x, y in zip(before, r['views'])]
    # view 1 always blurred; others blurred 10% / solarized 20% of the time
    assert changed[0] == 60
    assert 8 < changed[1] < 30 and 8 < changed[2] < 30


def test_in_box_cutout_spares_whole_view_fallbacks():
    r = dict(views=[np.full((224, 224, 3), 9, np.uint8),
                    np.full((112, 112, 3), 9, np.uint8)],
             pair_boxes=np.tile(np.array([[0, 0, 224, 224]], np.float32),
                                (1, 2, 4, 1)),
             pair_ids=np.full((1, 2, 4), -1, np.int64))
    t = build(dict(type='InBoxCutout', prob=1., views=(0, 1)))
    out = t(dict(r))
    assert all((v == 9).all() for v in out['views'])
    r['pair_ids'][:] = 0
    r['pair_boxes'][0, 1] = [[0, 0, 112, 112]] * 4
    out = t(dict(r))
    assert all((v != 9).any() for v in out['views'])
    # only the side whose rows are real proposals is cut
    r['pair_ids'][0, 0] = -1
    out = t(dict(r))
    assert (out['views'][0] == 9).all() and (out['views'][1] != 9).any()


def test_in_box_cutout_options():
    """Default: the reference's mean-colour fill and centre placement;
    value=0 / placement='inside' give the black square inside the box."""
    r = dict(views=[np.full((224, 224, 3), 9, np.uint8),
                    np.full((224, 224, 3), 9, np.uint8)],
             pair_boxes=np.tile(np.array([[40, 40, 140, 120]], np.float32),
                                (1, 2, 4, 1)),
             pair_ids=np.zeros((1, 2, 4), np.int64))
    default = build(dict(type='InBoxCutout', prob=1.))
    assert (default.value, default.placement) == ('mean', 'centre')
    out = default(dict(r))['views'][1]
    cut = (out != 9).any(2)
    assert cut.any()
    np.testing.assert_array_equal(np.unique(out[cut], axis=0),
                                  [[124, 116, 104]])
    old = build(dict(type='InBoxCutout', prob=1., value=0,
                     placement='inside'))
    for seed in range(20):
        old.set_rng(seed)
        out = old(dict(r))['views'][1]
        cut = (out != 9).any(2)
        assert cut.any() and (out[cut] == 0).all()
        assert not cut[:, :40].any() and not cut[:, 140:].any()
        assert not cut[:40].any() and not cut[120:].any()
    with pytest.raises(ValueError, match='placement'):
        build(dict(type='InBoxCutout', placement='anywhere'))
    with pytest.raises(ValueError, match='fill'):
        build(dict(type='InBoxCutout', value=300))


def test_multi_view_box_options(path):
    load = build(dict(type='LoadImageRGB'))
    default = build(dict(type='SoCoMultiView'))
    assert (default.kw['box_clip'], default.kw['padding']) == (
        'view', 'independent')
    old = build(dict(type='SoCoMultiView', box_clip='overlap',
                     padding='shared'))
    for t in (default, old):
        t.set_rng(0)
    a = default(load(dict(img_path=path, proposals=props())))
    b = old(load(dict(img_path=path, proposals=props())))
    # same crops and flips; the view-1 boxes differ (whole proposals vs
    # clipped to the crops' overlap)
    assert a['crops'] == b['crops'] and a['flips'] == b['flips']
    assert not np.allclose(a['pair_boxes'][:, 0], b['pair_boxes'][:, 0])
    np.testing.assert_array_equal(b['pair_ids'][:, 0], b['pair_ids'][:, 1])
    for name in ('box_clip', 'padding'):
        with pytest.raises(ValueError, match=name):
            build(dict(type='SoCoMultiView', **{name: 'other'}))


def test_in_box_cutout_spares_view_1_by_default(path):
    """As the reference: views 2 and 3 are cut, view 1 (the anchor) not."""
    load = build(dict(type='LoadImageRGB'))
    views = build(dict(type='SoCoMultiView'))
    views.set_rng(1)
    cut = [build(dict(type='InBoxCutout', prob=1.)),
           build(dict(type='InBoxCutout', prob=1., views=(1, 2))),
           build(dict(type='InBoxCutout', prob=1., views=(0, 1, 2)))]
    changed = np.zeros((3, 3), int)
    for _ in range(8):
        r = views(load(dict(img_path=path, proposals=props())))
        for n, t in enumerate(cut):
            before = [v.copy() for v in r['views']]
            out = t(dict(r, views=list(before)))
            changed[n] += [not np.array_equal(x, y)
                           for x, y in zip(before, out['views'])]
    assert changed[0, 0] == changed[1, 0] == 0  # view 1 untouched
    assert (changed[:2, 1:] > 0).all() and (changed[2] > 0).all()
    with pytest.raises(ValueError, match='3 views'):
        build(dict(type='InBoxCutout', views=(1, 3)))(dict(r))
    with pytest.raises(ValueError, match='distinct'):
        build(dict(type='InBoxCutout', views=(1, 1)))


class _Views(torch.utils.data.Dataset):
    """Draws from a transform's lazily created generator."""

    def __init__(self):
        self.t = build(dict(type='ViewColorAug'))

    def __len__(self):
        return 4

    def __getitem__(self, i):
        return float(self.t.rng.random())


def test_worker_streams_differ_across_workers_and_epochs():
    from mmengine.dataset import worker_init_fn
    from functools import partial
    torch.manual_seed(0)
    loader = torch.utils.data.DataLoader(
        _Views(), batch_size=1, num_workers=2,
        worker_init_fn=partial(worker_init_fn, num_workers=2, rank=0,
                               seed=0))
    e1 = [float(x) for x in loader]
    e2 = [float(x) for x in loader]
    assert len(set(e1)) == 4  # workers do not share a stream
    assert e1 != e2  # non-persistent workers do not replay an epoch
    torch.manual_seed(0)
    assert [float(x) for x in loader] == e1  # but runs are reproducible
