"""The mini detection world: compositing is exact (boxes and masks follow
the alpha and the occlusions), a world is a function of its seed, val
objects are stamps never pasted into unlabeled/, and missing stamps are one
line."""
import json
import os
import os.path as osp

import numpy as np
import pytest

from mmsoco.datasets.mini_world import (STAMPS_PACKAGE, STAMPS_ROOT,
                                        CompositeSettings, StampsMissingError,
                                        calm_background, compose,
                                        instance_annotations, make_world,
                                        mask_to_rle, paste, rle_to_mask,
                                        split_pools, stamp_catalogue)

from ..helpers import load_script

needs_stamps = pytest.mark.skipif(
    not osp.isdir(STAMPS_ROOT),
    reason=f'no stamps at {STAMPS_ROOT}: apt-get install {STAMPS_PACKAGE}')


def _disc(side, value=200, rim=60):
    """An RGBA stamp: an opaque disc with a soft (alpha ``rim`` < 128)
    rim."""
    yy, xx = np.mgrid[:side, :side]
    r = np.hypot(yy - (side - 1) / 2, xx - (side - 1) / 2)
    alpha = np.where(r < side / 2 - 1, 255, np.where(r < side / 2, rim, 0))
    rgba = np.zeros((side, side, 4), np.uint8)
    rgba[..., :3], rgba[..., 3] = value, alpha
    return rgba


def test_paste_masks_follow_alpha_and_clip_at_borders():
    canvas = np.zeros((32, 32, 3), np.uint8)
    owner = np.full((32, 32), -1, np.int32)
    stamp = _disc(12)
    paste(canvas, owner, stamp, -3, 25, 0)  # partly outside, left/bottom
    expect = np.zeros((32 + 24, 32 + 24), bool)
    expect[12 + 25:12 + 37, 12 - 3:12 + 9] = stamp[..., 3] >= 128
    assert (owner == 0).tolist() == expect[12:44, 12:44].tolist()
    ann = instance_annotations(owner, 1)[0]
    ys, xs = np.nonzero(expect[12:44, 12:44])
    assert ann['bbox'] == [xs.min(), ys.min(), xs.max() + 1 - xs.min(),
                           ys.max() + 1 - ys.min()]
    assert ann['area'] == int(expect[12:44, 12:44].sum()) < int(expect.sum())
    # the soft rim is blended but owned by nobody
    rim = (stamp[..., 3] == 60)
    assert canvas[25:32, 0:9][rim[0:7, 3:12]].max() > 0


def test_compose_occlusion_keeps_min_visible_and_exact_boxes():
    s = CompositeSettings(size=48, min_visible=0.5, tries=50)
    rng = np.random.default_rng(0)
    stamps = [_disc(20, 50 + 30 * i, rim=0) for i in range(6)]
    img, owner, placed = compose(np.zeros((48, 48, 3), np.uint8), stamps,
                                 list(range(6)), rng, s)
    assert len(placed) >= 2
    anns = instance_annotations(owner, len(placed))
    for i, ((label, area), ann) in enumerate(zip(placed, anns)):
        assert ann['area'] >= 0.5 * area  # occluded at most half
        ys, xs = np.nonzero(owner == i)
        x, y, w, h = ann['bbox']
        assert (x, y, x + w - 1, y + h - 1) == (xs.min(), ys.min(),
                                                xs.max(), ys.max())
        # an owned pixel shows that stamp's colour (opaque, on top)
        assert (img[owner == i] == 50 + 30 * label).all()


def test_rle_round_trip_and_pycocotools_agree():
    mask = np.random.default_rng(1).random((7, 9)) > 0.6
    mask[0, 0] = True
    rle = mask_to_rle(mask)
    assert rle_to_mask(rle).tolist() == mask.tolist()
    assert sum(rle['counts']) == mask.size
    pycoco = pytest.importorskip('pycocotools.mask')
    decoded = pycoco.decode(pycoco.frPyObjects(rle, *rle['size']))
    assert decoded.astype(bool).tolist() == mask.tolist()


def test_missing_stamps_is_one_line(tmp_path, capsys):
    with pytest.raises(StampsMissingError, match=f'apt-get install '
                       f'{STAMPS_PACKAGE}'):
        stamp_catalogue(str(tmp_path / 'nowhere'))
    tool = load_script('tools/make_mini_world.py')
    rc = tool.main([str(tmp_path / 'w'), '--stamps', str(tmp_path / 'nowhere')])
    err = capsys.readouterr().err
    assert rc == 2 and len(err.strip().splitlines()) == 1
    assert STAMPS_PACKAGE in err and not osp.exists(tmp_path / 'w')


def _files(root):
    out = {}
    for d, _, names in os.walk(root):
        for n in names:
            with open(osp.join(d, n), 'rb') as f:
                out[osp.relpath(osp.join(d, n), root)] = f.read()
    return out


@needs_stamps
def test_tiny_world_is_deterministic_exact_and_disjoint(tmp_path,
                                                        photo_folder):
    counts = dict(unlabeled=4, train=3, val=3)
    s = CompositeSettings(size=64)
    a = make_world(str(tmp_path / 'a'), 5, photo_folder, counts=counts,
                   settings=s)
    make_world(str(tmp_path / 'b'), 5, photo_folder, counts=counts,
               settings=s)
    fa, fb = _files(tmp_path / 'a'), _files(tmp_path / 'b')
    assert sorted(fa) == sorted(fb) and all(fa[k] == fb[k] for k in fa)
    assert len([k for k in fa if k.startswith('unlabeled/')]) == 4
    other = make_world(str(tmp_path / 'c'), 6, photo_folder, counts=counts,
                       settings=s)
    assert _files(tmp_path / 'c')['val/val_000000.jpg'] != \
        fa['val/val_000000.jpg'] or other['stamps'] != a['stamps']
    world = json.loads(fa['world.json'])
    assert world['image_size'] == 64 and world['seed'] == 5
    for cat in world['categories']:
        held, seen = world['stamps']['held_out'][cat], \
            world['stamps']['seen'][cat]
        assert len(held) == 2 and seen and not set(held) & set(seen)
    assert not set(world['backgrounds']['held_out']) & \
        set(world['backgrounds']['seen'])
    # pretraining pastes the seen stamps; both labelled splits the held-out
    # ones, val on the held-out backgrounds
    for split, stamps, bgs in (('unlabeled', 'seen', 'seen'),
                               ('train', 'held_out', 'seen'),
                               ('val', 'held_out', 'held_out')):
        assert split_pools(world, split) == (world['stamps'][stamps],
                                              world['backgrounds'][bgs])
    n = 0
    for split in ('unlabeled', 'train', 'val'):
        coco = json.loads(fa[f'annotations/{split}.json'])
        assert [c['name'] for c in coco['categories']] == \
            world['categories']
        union = {}
        for ann in coco['annotations']:
            mask = rle_to_mask(ann['segmentation'])
            assert mask.shape == (64, 64) and mask.sum() == ann['area'] > 0
            ys, xs = np.nonzero(mask)
            x, y, w, h = ann['bbox']
            assert (x, y, x + w, y + h) == (xs.min(), ys.min(),
                                            xs.max() + 1, ys.max() + 1)
            seen = union.setdefault(ann['image_id'],
                                    np.zeros((64, 64), bool))
            assert not (seen & mask).any()  # one owner per pixel
            seen |= mask
            n += 1
        per_image = [sum(a['image_id'] == im['id']
                         for a in coco['annotations'])
                     for im in coco['images']]
        assert min(per_image) >= 1 and max(per_image) <= 5
    assert n == sum(world['instances'].values())


def test_calm_background_blurs_and_lowers_contrast():
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, (32, 32, 3)).astype(np.uint8)
    assert calm_background(img, 0., 1.) is img
    flat = calm_background(img, 0., 0.5).astype(float)
    assert abs(flat.std() - img.std() / 2) < 1.0
    assert np.allclose(flat.mean((0, 1)), img.mean((0, 1)), atol=1.0)
    blurred = calm_background(img, 2., 1.).astype(float)
    assert blurred.std() < img.std() / 3  # noise averaged out


@needs_stamps
def test_tool_rerun_on_a_complete_world(tmp_path, photo_folder, capsys):
    tool = load_script('tools/make_mini_world.py')
    args = [str(tmp_path / 'w'), '--backgrounds', photo_folder, '--images',
            '2', '--train', '1', '--val', '1', '--size', '48']
    assert tool.main(args) == 0
    capsys.readouterr()
    assert tool.main(args) == 0  # the same world: said, nothing rewritten
    assert 'this world is already complete' in capsys.readouterr().out
    assert tool.main(args + ['--seed', '1']) == 2
    err = capsys.readouterr().err
    assert 'holds a different world' in err and len(err.splitlines()) == 1
