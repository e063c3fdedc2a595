"""InsLoc's copy-paste composites on real photos (scikit-image's, made into
a folder by the ``photo_folder`` fixture)."""
import glob
import os.path as osp
import shutil

import cv2
import numpy as np
import pytest
import torch

from mmsoco.datasets.insloc_dataset import InsLocDataset, pick_backgrounds
from mmsoco.datasets.transforms import insloc_functional as F
from mmsoco.datasets.transforms.insloc_composite import InsLocCopyPaste
from mmsoco.datasets.transforms.view_box_random_flip import \
    ViewBoxRandomFlip
from mmsoco.image_set import load_rgb
from mmsoco.datasets.transforms.pack_insloc_inputs import PackInsLocInputs

from ..helpers import REPO


@pytest.fixture(scope='module')
def root(photo_folder):
    return photo_folder


@pytest.fixture(scope='module')
def paths(root):
    found = sorted(glob.glob(osp.join(root, '*.jpg')))
    assert len(found) >= 10, found
    return found


@pytest.fixture(scope='module')
def images(paths):
    return [load_rgb(p) for p in paths[:6]]


def test_pasted_pixels_lie_exactly_inside_the_box(images):
    rng = np.random.default_rng(0)
    for trial in range(40):
        fg, bg1, bg2 = (images[(trial + i) % len(images)] for i in range(3))
        p = F.composite_params(fg.shape[0], fg.shape[1], rng)
        x1, y1, x2, y2 = p.box[0].astype(int)
        assert np.array_equal(p.box[0], [x1, y1, x2, y2])  # integral box
        # the box lies inside the canvas and has the drawn size
        assert 0 <= x1 < x2 <= 256 and 0 <= y1 < y2 <= 256
        assert (x2 - x1, y2 - y1) == p.size
        assert max(p.size) <= 254 and min(p.size) >= 1
        a = F.render_composite(fg, bg1, p)
        b = F.render_composite(fg, bg2, p)
        assert a.shape == (256, 256, 3) and a.dtype == np.uint8
        inside = np.zeros((256, 256), bool)
        inside[y1:y2, x1:x2] = True
        # inside: the foreground, whatever the background
        assert np.array_equal(a[inside], b[inside])
        # outside: exactly the resized background
        assert np.array_equal(a[~inside], F.make_background(bg1)[~inside])
        assert np.array_equal(b[~inside], F.make_background(bg2)[~inside])
        # the pasted pixels are the crop, aspect kept (within rounding)
        cx, cy, cw, ch = p.crop
        assert abs(cw / ch - p.size[0] / p.size[1]) <= \
            (cw / ch) * (1 / p.size[0] + 1 / p.size[1]) + 1e-6
        patch = cv2.resize(fg[cy:cy + ch, cx:cx + cw], p.size,
                           interpolation=cv2.INTER_AREA
                           if p.size[0] * p.size[1] < cw * ch
                           else cv2.INTER_LINEAR)
        assert np.array_equal(a[y1:y2, x1:x2], patch)


def test_crop_area_and_aspect_follow_the_recipe(images):
    rng = np.random.default_rng(1)
    fg = images[0]
    area = fg.shape[0] * fg.shape[1]
    for _ in range(200):
        p = F.composite_params(fg.shape[0], fg.shape[1], rng)
        _, _, w, h = p.crop
        # tries succeed on a photo; centre fallback keeps the whole
        assert 0.19 * area <= w * h <= area
        assert 0.45 <= w / h <= 2.2 or (w, h) == (fg.shape[1], fg.shape[0])
        # fits into a target box with sides in [128, 255): one side touches
        assert max(p.size) >= 128


def test_two_independent_composites_and_flip_carry_the_box(images):
    t = InsLocCopyPaste()
    t.set_rng(3)
    results = t(dict(img=images[0], bg_imgs=[images[1], images[2]]))
    q, k = results['views']
    assert q.shape == k.shape == (256, 256, 3)
    assert not np.array_equal(results['view_boxes'][0],
                              results['view_boxes'][1])
    before = [v.copy() for v in results['views']]
    boxes_before = [b.copy() for b in results['view_boxes']]
    flip = ViewBoxRandomFlip(prob=1.0)
    flip.set_rng(0)
    results = flip(results)
    assert results['flips'] == [True, True]
    for v0, b0, v1, b1 in zip(before, boxes_before, results['views'],
                              results['view_boxes']):
        x1, y1, x2, y2 = b0[0].astype(int)
        fx1, fy1, fx2, fy2 = b1[0].astype(int)
        assert (fx1, fx2, fy1, fy2) == (256 - x2, 256 - x1, y1, y2)
        assert np.array_equal(v1[fy1:fy2, fx1:fx2],
                              v0[y1:y2, x1:x2][:, ::-1])
    packed = PackInsLocInputs()(results)
    assert [tuple(i.shape) for i in packed['inputs']] == [(3, 256, 256)] * 2
    assert tuple(packed['data_samples'].view_boxes.shape) == (2, 4)


def test_dataset_draws_other_images_as_backgrounds(root, paths):
    ds = InsLocDataset(root, pipeline=[])
    assert len(ds) == len(paths)
    for i in range(10):
        info = ds.get_data_info(i)
        assert len(info['bg_paths']) == 2
        assert info['img_path'] not in info['bg_paths']
    rng = np.random.default_rng(0)
    for idx in (0, 1):
        assert pick_backgrounds(idx, 2, 50, rng) == [1 - idx] * 50


def test_dataset_with_one_image_stops_with_a_message(tmp_path, paths):
    shutil.copy(paths[0], tmp_path / 'only.jpg')
    with pytest.raises(ValueError, match='at least 2'):
        InsLocDataset(str(tmp_path), pipeline=[])
    with pytest.raises(ValueError, match='at least 2'):
        pick_backgrounds(0, 1, 2, np.random.default_rng(0))


def seeded_dataset(root: str):
    """The 200-epoch config's InsLoc dataset and pipeline on 6 images."""
    from mmengine.config import Config

    from mmsoco.registry import DATASETS
    cfg = Config.fromfile(osp.join(REPO, 'configs',
                                   'insloc_r50_fpn_8xb32-200e_in1k.py'))
    ds = cfg.train_dataloader.dataset
    ds.update(data_root=root, indices=6)
    return DATASETS.build(ds)


def same(a: dict, b: dict) -> bool:
    sa, sb = a['data_samples'], b['data_samples']
    return (all(torch.equal(x, y) for x, y in zip(a['inputs'], b['inputs']))
            and torch.equal(sa.view_boxes, sb.view_boxes)
            and sa.bg_paths == sb.bg_paths and sa.flips == sb.flips)


def test_composites_are_a_function_of_seed_epoch_and_index(root):
    """Backgrounds, composites, colour and flips of a sample depend on
    (seed, epoch, index) only, as SoCo's views do; the seed travels to the
    model (its box augmentation) in the metainfo."""
    from mmsoco.datasets import SampleIndex
    ds = seeded_dataset(root)
    a = ds[SampleIndex(2, seed=0, epoch=1)]
    assert a['data_samples'].view_seed == (0, 1, 2)
    # another dataset object, as another worker process would have
    assert same(a, seeded_dataset(root)[SampleIndex(2, seed=0, epoch=1)])
    assert not same(a, ds[SampleIndex(2, seed=0, epoch=2)])
    assert not same(a, ds[SampleIndex(2, seed=1, epoch=1)])
    # the choice of backgrounds alone
    picks = {tuple(ds.get_data_info(SampleIndex(3, 0, e))['bg_paths'])
             for e in range(12)}
    assert len(picks) > 1
    assert ds.get_data_info(SampleIndex(3, 0, 7))['bg_paths'] == \
        ds.get_data_info(SampleIndex(3, 0, 7))['bg_paths']
    # a plain index keeps the per-process stream: two loads differ
    assert 'view_seed' not in ds[2]['data_samples']
    assert not same(ds[2], ds[2])
