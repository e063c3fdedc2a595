"""Unit tests of SoCo's view building blocks (mmsoco.datasets.transforms
.functional) and degenerate inputs, on a real photo (scikit-image's
astronaut, the ``astronaut`` fixture)."""

import cv2
import numpy as np
import pytest

from mmsoco.datasets.transforms import functional as F

from ..helpers import random_boxes

SOCO, SOCO_STAR = F.SOCO_VIEWS, F.SOCO_STAR_VIEWS
C4 = [dict(size=224, mode='whole'),
      dict(size=224, mode='crop', scale=(0.6, 1.))]


def check_views(out, views, k=4):
    p = len(views) - 1
    assert out['pair_boxes'].shape == (p, 2, k, 4)
    assert out['pair_boxes'].dtype == np.float32
    assert out['pair_ids'].shape == (p, 2, k)
    for v, spec in enumerate(views):
        assert out['views'][v].shape == (spec['size'], spec['size'], 3)
        assert out['views'][v].dtype == np.uint8
    pb = out['pair_boxes']
    assert np.isfinite(pb).all()
    for i in range(p):
        for side, v in ((0, 0), (1, i + 1)):
            b = pb[i, side]
            s = views[v]['size']
            assert (b >= -1e-3).all() and (b <= s + 1e-3).all()
            assert (b[:, 2] >= b[:, 0]).all() and (b[:, 3] >= b[:, 1]).all()
        whole = out['pair_ids'][i] < 0
        if whole.any():
            assert whole.all()
            np.testing.assert_allclose(pb[i, 1], [[0, 0, views[i + 1]['size'],
                                                   views[i + 1]['size']]] * k)


# ---------------------------------------------------------------- geometry
def test_random_resized_crop_in_bounds_and_scale():
    rng = np.random.default_rng(0)
    for _ in range(300):
        h, w = rng.integers(20, 800, 2)
        x, y, cw, ch = F.random_resized_crop_params(h, w, (0.5, 1.),
                                                    (3 / 4, 4 / 3), rng)
        assert 0 <= x and x + cw <= w and 0 <= y and y + ch <= h
        assert cw >= 1 and ch >= 1


def test_boxes_to_view_and_flip_exact():
    b = np.array([[10, 20, 30, 60]], np.float32)
    out = F.boxes_to_view(b, (10, 20, 40, 80), 20)
    np.testing.assert_allclose(out, [[0, 0, 10, 10]])
    out = F.boxes_to_view(b, (10, 20, 40, 80), 20, flip=True)
    np.testing.assert_allclose(out, [[10, 0, 20, 10]])


def test_crop_view_matches_resize_and_flip(astronaut):
    crop = (50, 40, 200, 160)
    v = F.crop_view(astronaut, crop, 100, flip=True, interpolation='linear')
    ref = cv2.resize(astronaut[40:200, 50:250], (100, 100),
                     interpolation=cv2.INTER_LINEAR)[:, ::-1]
    np.testing.assert_array_equal(v, ref)


def test_sample_indices_without_replacement_then_padding():
    rng = np.random.default_rng(0)
    cand = np.array([3, 7, 9, 11, 20])
    for _ in range(50):
        ids = F.sample_indices(cand, 4, rng)
        assert len(ids) == 4 and len(set(ids)) == 4 and set(ids) <= set(cand)
        few = F.sample_indices(cand[:2], 4, rng)
        assert len(few) == 4 and set(few) == {3, 7}


def test_pair_indices_pad_each_side_independently_or_alike():
    rng = np.random.default_rng(0)
    cand = np.array([3, 7, 9, 11, 20])
    for padding in ('independent', 'shared'):  # K or more: no padding
        a, b = F.pair_indices(cand, 4, rng, padding)
        np.testing.assert_array_equal(a, b)
        assert len(set(a)) == 4 and set(a) <= set(cand)
    differ = 0
    for _ in range(100):
        a, b = F.pair_indices(cand[:2], 4, rng, 'independent')
        # the real candidates take the first rows of both sides, in the same
        # order; the padding rows are drawn for each side on its own
        np.testing.assert_array_equal(a[:2], b[:2])
        assert set(a[:2]) == {3, 7} and set(a) | set(b) == {3, 7}
        differ += not np.array_equal(a, b)
        a, b = F.pair_indices(cand[:2], 4, rng, 'shared')
        np.testing.assert_array_equal(a, b)
    # two padded rows over two candidates: the sides agree with prob 1/4
    assert 60 < differ < 90, differ
    with pytest.raises(ValueError, match='padding'):
        F.pair_indices(cand, 4, rng, 'same')


def test_common_boxes_clipped_to_common_area():
    """box_clip='overlap': both sides clipped to the views' common area."""
    rng = np.random.default_rng(0)
    boxes = np.array([[0, 0, 50, 50], [90, 90, 100, 100]], np.float32)
    sel, ids = F.common_boxes(boxes, (0, 0, 100, 100), (20, 20, 80, 80), 4,
                              rng, box_clip='overlap')
    assert ids.shape == (2, 4) and set(ids.ravel()) == {0}
    np.testing.assert_allclose(sel, [[[20, 20, 50, 50]] * 4] * 2)
    sel, ids = F.common_boxes(boxes, (0, 0, 100, 100), (60, 0, 80, 80), 4,
                              rng, box_clip='overlap')
    assert sel is None and (ids == -1).all() and ids.shape == (2, 4)


def test_common_boxes_clipped_to_each_view_by_default():
    """box_clip='view' (the reference): side 0 is the proposal clipped to
    region a (here the whole image: the whole proposal), side 1 the part of
    it inside region b."""
    rng = np.random.default_rng(0)
    boxes = np.array([[0, 0, 50, 50], [90, 90, 100, 100]], np.float32)
    sel, ids = F.common_boxes(boxes, (0, 0, 100, 100), (20, 20, 80, 80), 4,
                              rng)
    assert set(ids.ravel()) == {0}
    np.testing.assert_allclose(sel[0], [[0, 0, 50, 50]] * 4)
    np.testing.assert_allclose(sel[1], [[20, 20, 50, 50]] * 4)
    sel, ids = F.common_boxes(boxes, (0, 0, 100, 100), (60, 0, 80, 80), 4,
                              rng)
    assert sel is None and (ids == -1).all()
    with pytest.raises(ValueError, match='box_clip'):
        F.common_boxes(boxes, (0, 0, 100, 100), (20, 20, 80, 80), 4, rng,
                       box_clip='common')


def test_pick_crop_prefers_crops_sharing_two_boxes():
    rng = np.random.default_rng(1)
    boxes = np.array([[0, 0, 10, 10], [5, 5, 15, 15]], np.float32)
    hits = 0
    for _ in range(100):
        crop = F.pick_crop(boxes, 100, 100, (0, 0, 100, 100), (0.1, 0.2),
                           (3 / 4, 4 / 3), rng, max_tries=5)
        common = F.intersect_regions((0, 0, 100, 100), F.crop_region(crop))
        hits += len(F.overlapping(boxes, common)) >= 1
    rng = np.random.default_rng(1)
    single = sum(
        len(F.overlapping(boxes, F.crop_region(F.random_resized_crop_params(
            100, 100, (0.1, 0.2), (3 / 4, 4 / 3), rng)))) >= 1
        for _ in range(100))
    assert hits > single + 10  # re-cropping finds the boxes far more often


def test_jitter_boxes_stays_in_view_and_respects_prob():
    rng = np.random.default_rng(0)
    b = np.array([[10, 10, 100, 100], [0, 0, 224, 224], [5, 5, 6, 6]] * 30,
                 np.float32)
    np.testing.assert_array_equal(F.jitter_boxes(b, 224, rng, prob=0.), b)
    j = F.jitter_boxes(b, 224, rng, prob=1.)
    assert (j >= 0).all() and (j <= 224).all()
    assert (j[:, 2] > j[:, 0]).all() and (j[:, 3] > j[:, 1]).all()
    moved = np.abs(j - b).max(1) > 1e-6
    assert moved[0::3].mean() > 0.9
    half = F.jitter_boxes(b, 224, rng, prob=0.5)
    frac = (np.abs(half - b).max(1) > 1e-6)[0::3].mean()
    assert 0.25 < frac < 0.75
    # magnitude: corners move by at most 10% of the size, sizes by 10%
    w = b[0::3, 2] - b[0::3, 0]
    assert (np.abs(j[0::3, 0] - b[0::3, 0]) <= 0.1 * w + 1e-3).all()


# ------------------------------------------------------------- soco_views
@pytest.mark.parametrize('views', [SOCO, SOCO_STAR, C4],
                         ids=['soco', 'soco_star', 'c4'])
def test_soco_views_shapes_and_boxes(astronaut, views):
    rng = np.random.default_rng(0)
    h, w = astronaut.shape[:2]
    for _ in range(30):
        out = F.soco_views(astronaut, random_boxes(rng, h, w), rng, views)
        check_views(out, views)


def test_downsample_view_shares_crop_and_source_flip(astronaut):
    """downsample_flip='source': view 4 is view 2 at 112, flip included
    (the reference's own coin: test_views_reference.py)."""
    rng = np.random.default_rng(0)
    h, w = astronaut.shape[:2]
    for _ in range(10):
        out = F.soco_views(astronaut, random_boxes(rng, h, w), rng, SOCO_STAR,
                           downsample_flip='source')
        assert out['crops'][3] == out['crops'][1]
        assert out['flips'][3] == out['flips'][1]
        small = cv2.resize(out['views'][1], (112, 112),
                           interpolation=cv2.INTER_AREA)
        np.testing.assert_array_equal(out['views'][3], small)
        # boxes map to view 4 exactly as to view 2 at half the scale
        b = random_boxes(rng, h, w, 8)
        np.testing.assert_allclose(
            F.boxes_to_view(b, out['crops'][1], 224, out['flips'][1]) / 2,
            F.boxes_to_view(b, out['crops'][3], 112, out['flips'][3]),
            atol=1e-3)


def test_no_proposals_gives_whole_view_boxes(astronaut):
    rng = np.random.default_rng(0)
    out = F.soco_views(astronaut, np.zeros((0, 4), np.float32), rng, SOCO)
    check_views(out, SOCO)
    assert (out['pair_ids'] == -1).all()
    np.testing.assert_allclose(out['pair_boxes'][:, 0],
                               [[[0, 0, 224, 224]] * 4] * 2)
    np.testing.assert_allclose(out['pair_boxes'][1, 1], [[0, 0, 112, 112]] * 4)


def test_boxes_outside_image_or_crops(astronaut):
    rng = np.random.default_rng(0)
    outside = np.array([[5000, 5000, 6000, 6000], [-50, -50, -1, -1]],
                       np.float32)
    out = F.soco_views(astronaut, outside, rng, SOCO)
    check_views(out, SOCO)
    assert (out['pair_ids'] == -1).all()
    # a box in a corner and tiny crops: pairs whose crops miss it fall back
    corner = np.array([[0, 0, 8, 8]], np.float32)
    tiny = [SOCO[0], dict(size=64, mode='crop', scale=(0.01, 0.02))]
    fell_back = 0
    for _ in range(40):
        out = F.soco_views(astronaut, corner, rng, tiny)
        check_views(out, tiny)
        fell_back += (out['pair_ids'] == -1).all()
    assert fell_back > 0


def test_one_pixel_boxes(astronaut):
    rng = np.random.default_rng(0)
    one = np.array([[x, y, x + 1, y + 1] for x in range(0, 600, 37)
                    for y in range(0, 400, 41)], np.float32)
    for _ in range(20):
        out = F.soco_views(astronaut, one, rng, SOCO)
        check_views(out, SOCO)
        real = out['pair_ids'] >= 0
        w = out['pair_boxes'][..., 2] - out['pair_boxes'][..., 0]
        assert (w[real] > 0).all()


@pytest.mark.parametrize('shape', [(1, 1), (3, 2), (2, 7, 3), (5, 5, 1),
                                   (300, 200)])
def test_tiny_and_grayscale_images(shape):
    rng = np.random.default_rng(0)
    img = rng.integers(0, 256, shape, dtype=np.uint8)
    h, w = shape[:2]
    boxes = np.array([[0, 0, w, h], [0, 0, max(w / 2, 1), max(h / 2, 1)]],
                     np.float32)
    for views in (SOCO, SOCO_STAR, C4):
        for _ in range(5):
            out = F.soco_views(img, boxes, rng, views)
            check_views(out, views)
            col = F.byol_color(out['views'][1], rng, blur_prob=1.,
                               solarize_prob=1.)
            assert col.shape == out['views'][1].shape
    if len(shape) == 2 and h > 100:  # grey stays grey in every view
        v = out['views'][0].astype(int)
        assert (v[..., 0] == v[..., 1]).all()
        assert (v[..., 1] == v[..., 2]).all()


# ------------------------------------------------------------------ colour
def test_brightness_contrast_luts_match_float_formula(astronaut):
    img = astronaut[:64, :64]
    f = 1.3
    ref = np.clip(np.rint(img.astype(np.float64) * f), 0, 255)
    assert np.abs(F.adjust_brightness(img, f).astype(int) - ref).max() <= 1
    m = cv2.cvtColor(img, cv2.COLOR_RGB2GRAY).mean()
    ref = np.clip(np.rint((img.astype(np.float64) - m) * 0.6 + m), 0, 255)
    assert np.abs(F.adjust_contrast(img, 0.6).astype(int) - ref).max() <= 1


def test_saturation_hue_gray_solarize(astronaut):
    img = astronaut[:64, :64]
    g = F.adjust_saturation(img, 0.)
    assert (g[..., 0] == g[..., 1]).all() and (g[..., 1] == g[..., 2]).all()
    np.testing.assert_array_equal(F.adjust_saturation(img, 1.), img)
    np.testing.assert_array_equal(F.adjust_hue(img, 0.), img)
    back = F.adjust_hue(F.adjust_hue(img, 0.25), -0.25)
    assert np.abs(back.astype(int) - img).mean() < 3
    # a hue shift of a third of a turn sends pure red to pure green
    red = np.zeros((2, 2, 3), np.uint8)
    red[..., 0] = 255
    green = F.adjust_hue(red, 1 / 3)
    assert green[0, 0, 1] > 240 and green[0, 0, 0] < 15
    s = F.solarize(np.arange(256, dtype=np.uint8).reshape(16, 16, 1)
                   .repeat(3, 2))
    assert s[0, 0, 0] == 0 and s.reshape(-1, 3)[127, 0] == 127
    assert s.reshape(-1, 3)[128, 0] == 127 and s.reshape(-1, 3)[255, 0] == 0


def test_byol_color_probabilities(astronaut):
    rng = np.random.default_rng(0)
    img = cv2.resize(astronaut, (64, 64))
    gray = sum(
        bool((lambda o: (o[..., 0] == o[..., 1]).all())(
            F.byol_color(img, rng, jitter_prob=0., gray_prob=0.2,
                         blur_prob=0.)))
        for _ in range(300))
    assert 30 < gray < 95
    same = sum(np.array_equal(F.byol_color(img, rng, jitter_prob=0.,
                                           gray_prob=0., blur_prob=0.1), img)
               for _ in range(200))
    assert 150 < same < 200


def test_in_box_cutout_inside_black():
    """The non-reference option: a black square inside the box."""
    rng = np.random.default_rng(0)
    img = np.full((100, 100, 3), 200, np.uint8)
    box = np.array([[10, 20, 60, 80]], np.float32)
    np.testing.assert_array_equal(
        F.in_box_cutout(img, box, rng, prob=0., value=0, placement='inside'),
        img)
    for _ in range(30):
        out = F.in_box_cutout(img, box, rng, prob=1., value=0,
                              placement='inside')
        zero = (out == 0).all(2)
        assert not zero[:20].any() and not zero[80:].any()
        assert not zero[:, :10].any() and not zero[:, 60:].any()
        frac = zero.sum() / (50 * 60)
        assert 0.08 < frac < 0.36
        ys, xs = np.nonzero(zero)
        assert abs(np.ptp(ys) - np.ptp(xs)) <= 1  # a square
    assert (img == 200).all()  # input untouched


def test_in_box_cutout_reference_fill_and_placement():
    """The default (the reference): the square takes the dataset's mean
    colour, zero once normalised, and its centre is uniform inside the box,
    so part of it may lie outside (~21% of the cut pixels for these sizes,
    as measured on the reference)."""
    from mmsoco.models.data_preprocessors.multi_view_data_preprocessor import (
        IMAGENET_RGB_MEAN, IMAGENET_RGB_STD)
    assert F.IMAGENET_RGB_MEAN == IMAGENET_RGB_MEAN
    fill = F.fill_value('mean')
    np.testing.assert_array_equal(fill, [124, 116, 104])
    normalised = (fill - np.array(IMAGENET_RGB_MEAN)) / IMAGENET_RGB_STD
    assert np.abs(normalised).max() < 0.01, normalised
    # the largest difference is blue's, 0.0082 std
    assert np.argmax(np.abs(normalised)) == 2
    assert abs(normalised[2] - 0.0082) < 5e-5, normalised
    rng = np.random.default_rng(0)
    img = np.full((200, 200, 3), 7, np.uint8)
    x1, y1, x2, y2 = 50, 60, 110, 140
    box = np.array([[x1, y1, x2, y2]], np.float32)
    inside = outside = 0
    for _ in range(300):
        out = F.in_box_cutout(img, box, rng, prob=1.)
        cut = (out != 7).any(2)
        np.testing.assert_array_equal(out[cut], np.tile(fill, (cut.sum(), 1)))
        ys, xs = np.nonzero(cut)
        # a square whose centre lies in the box
        assert abs(np.ptp(ys) - np.ptp(xs)) <= 1
        assert x1 - 1 <= xs.mean() <= x2 + 1 and y1 - 1 <= ys.mean() <= y2 + 1
        frac = cut.sum() / ((x2 - x1) * (y2 - y1))
        assert 0.08 < frac < 0.36
        n_in = cut[y1:y2, x1:x2].sum()
        inside += n_in
        outside += cut.sum() - n_in
    share = outside / (inside + outside)
    assert 0.15 < share < 0.27, share
    with pytest.raises(ValueError, match='placement'):
        F.in_box_cutout(img, box, rng, placement='random')
    with pytest.raises(ValueError, match='fill'):
        F.fill_value('grey')
