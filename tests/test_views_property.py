"""Property test of SoCo's views on real coco_tiny photos: with colour ops
and jitter off, the pixels under a box in view 1 match the pixels under its
partner box in the other view once resize and flip are undone."""
import glob
import os.path as osp

import cv2
import numpy as np
import pytest

from mmsoco.datasets.transforms import functional as F

PATCH = 8
MIN_SIDE = 12  # boxes smaller than this in a view carry too few pixels


def box_patch(view: np.ndarray, box, mirrored: bool) -> np.ndarray:
    """Resample the box region of a view to PATCH x PATCH (sub-pixel exact,
    area-averaged), mirrored back if the view was flipped."""
    x1, y1, x2, y2 = [float(t) for t in box]
    big = 4 * PATCH
    sx, sy = (x2 - x1) / big, (y2 - y1) / big
    m = np.array([[sx, 0, x1 + 0.5 * sx - 0.5],
                  [0, sy, y1 + 0.5 * sy - 0.5]], np.float64)
    patch = cv2.warpAffine(view, m, (big, big),
                           flags=cv2.INTER_LINEAR | cv2.WARP_INVERSE_MAP,
                           borderMode=cv2.BORDER_REPLICATE)
    patch = cv2.resize(patch, (PATCH, PATCH), interpolation=cv2.INTER_AREA)
    return patch[:, ::-1] if mirrored else patch


def pair_errors(out, views):
    """Mean absolute difference of matched patches, and of each matched
    patch against a different proposal's patch (the control)."""
    good, control = [], []
    for p in range(len(views) - 1):
        v = p + 1
        for k in range(out['pair_boxes'].shape[2]):
            if out['pair_ids'][p, k] < 0:
                continue
            a, b = out['pair_boxes'][p, 0, k], out['pair_boxes'][p, 1, k]
            sides = np.concatenate([a[2:] - a[:2], b[2:] - b[:2]])
            if sides.min() < MIN_SIDE:
                continue
            pa = box_patch(out['views'][0], a, out['flips'][0]).astype(float)
            pb = box_patch(out['views'][v], b, out['flips'][v]).astype(float)
            good.append(np.abs(pa - pb).mean())
            # control: the partner box shifted by half its width
            bs = b.copy()
            shift = 0.5 * (b[2] - b[0])
            bs[[0, 2]] += shift if b[2] + shift <= views[v]['size'] \
                else -shift
            pc = box_patch(out['views'][v], bs, out['flips'][v]).astype(float)
            control.append(np.abs(pa - pc).mean())
    return good, control


@pytest.fixture(scope='module')
def photos(coco_tiny):
    paths = sorted(glob.glob(osp.join(coco_tiny, 'train2017', '*.jpg')))[:20]
    return [cv2.cvtColor(cv2.imread(p), cv2.COLOR_BGR2RGB) for p in paths]


def random_proposals(rng, h, w, n=30):
    xy = rng.uniform(0, 1, (n, 2)) * [w * 0.8, h * 0.8]
    wh = rng.uniform(0.1, 0.4, (n, 2)) * [w, h]
    b = np.concatenate([xy, xy + wh], 1)
    return np.minimum(b, [w, h, w, h]).astype(np.float32)


@pytest.mark.parametrize('view3', ['crop', 'downsample'])
def test_partner_boxes_show_the_same_pixels(photos, view3):
    views = [dict(size=224, mode='whole'),
             dict(size=224, mode='crop', scale=(0.5, 1.)),
             dict(size=112, mode='crop', scale=(0.5, 1.)) if view3 == 'crop'
             else dict(size=112, mode='downsample', of=1)]
    rng = np.random.default_rng(0)
    good, control, draws = [], [], 0
    for _ in range(6):
        for img in photos:
            h, w = img.shape[:2]
            out = F.soco_views(img, random_proposals(rng, h, w), rng, views,
                               jitter_prob=0.)
            g, c = pair_errors(out, views)
            good += g
            control += c
            draws += 1
    good, control = np.array(good), np.array(control)
    assert draws == 120 and len(good) > 300
    # matched patches agree to a few grey levels (resampling only) ...
    assert np.median(good) < 3, np.median(good)
    assert np.percentile(good, 95) < 8, np.percentile(good, 95)
    # ... far better than a patch half a box away
    assert np.median(control) > 5 * np.median(good)


def test_forgetting_a_flip_breaks_the_match(photos):
    """The test above is sensitive: mis-stating view 1's flip fails it."""
    views = [dict(size=224, mode='whole'),
             dict(size=224, mode='crop', scale=(0.5, 1.))]
    rng = np.random.default_rng(1)
    wrong = []
    for img in photos:
        h, w = img.shape[:2]
        out = F.soco_views(img, random_proposals(rng, h, w), rng, views,
                           jitter_prob=0.)
        out['flips'] = [not out['flips'][0]] + out['flips'][1:]
        wrong += pair_errors(out, views)[0]
    assert np.median(wrong) > 10


def test_partner_boxes_with_jitter_only_move_view1(photos):
    """Jitter changes view-1 boxes only, by at most 10% of their size."""
    views = [dict(size=224, mode='whole'),
             dict(size=224, mode='crop', scale=(0.5, 1.))]
    img = photos[0]
    h, w = img.shape[:2]
    props = random_proposals(np.random.default_rng(3), h, w)
    a = F.soco_views(img, props, np.random.default_rng(5), views,
                     jitter_prob=0.)
    b = F.soco_views(img, props, np.random.default_rng(5), views,
                     jitter_prob=1.)
    np.testing.assert_array_equal(a['pair_ids'], b['pair_ids'])
    np.testing.assert_array_equal(a['pair_boxes'][:, 1], b['pair_boxes'][:, 1])
    size = a['pair_boxes'][0, 0, :, 2:] - a['pair_boxes'][0, 0, :, :2]
    d = np.abs(a['pair_boxes'][0, 0] - b['pair_boxes'][0, 0])
    assert (d <= 0.21 * np.concatenate([size, size], 1) + 1e-3).all()
