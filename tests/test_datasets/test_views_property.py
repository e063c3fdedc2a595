"""Property tests of SoCo's views on real photos (scikit-image's, from the
``more_photos`` fixture; the partner-IoU test keeps coco_tiny: its 0.75
bound holds on COCO's proposals), colour ops and
jitter off, once resize and flip are undone:

- default (the reference, box_clip='view'): a view-1 box is the whole
  proposal and its partner is the view-1 box cut by the other view's crop;
  the pixels under the partner match the pixels under that part of the
  view-1 box; partners overlap by IoU ~0.75 in original pixels on real
  selective-search proposals;
- box_clip='overlap': the pixels under a view-1 box match the pixels under
  its partner box (both are clipped to the views' common area).
Rows are matched by proposal id (the sides are padded independently)."""
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


def partners(out):
    """(pair, view-1 row, view-k row) of every real view-k row: the view-1
    row holding the same proposal."""
    ids = out['pair_ids']
    for p in range(ids.shape[0]):
        for k in range(ids.shape[2]):
            q = ids[p, 1, k]
            if q >= 0:
                yield p, int(np.flatnonzero(ids[p, 0] == q)[0]), k


def pair_errors(out, views):
    """Mean absolute difference of matched patches, and of each matched
    patch against a different proposal's patch (the control)."""
    good, control = [], []
    for p, ka, k in partners(out):
        v = p + 1
        a, b = out['pair_boxes'][p, 0, ka], out['pair_boxes'][p, 1, k]
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
def photos(more_photos):
    paths = sorted(glob.glob(osp.join(more_photos, '*.jpg')))[:20]
    return [cv2.cvtColor(cv2.imread(p), cv2.COLOR_BGR2RGB) for p in paths]


def random_proposals(rng, h, w, n=30):
    xy = rng.uniform(0, 1, (n, 2)) * [w * 0.8, h * 0.8]
    wh = rng.uniform(0.1, 0.4, (n, 2)) * [w, h]
    b = np.concatenate([xy, xy + wh], 1)
    return np.minimum(b, [w, h, w, h]).astype(np.float32)


@pytest.mark.parametrize('view3', ['crop', 'downsample'])
def test_overlap_option_partner_boxes_show_the_same_pixels(photos, view3):
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
                               jitter_prob=0., box_clip='overlap')
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
                           jitter_prob=0., box_clip='overlap')
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


SOCO = [dict(size=224, mode='whole'),
        dict(size=224, mode='crop', scale=(0.5, 1.)),
        dict(size=112, mode='crop', scale=(0.5, 1.))]


def original_pairs(out, views):
    """(proposal id, view-1 box, partner box) of every partner row, both
    boxes back in original pixels (resize and flip undone)."""
    pb, crops, flips = out['pair_boxes'], out['crops'], out['flips']
    for p, ka, k in partners(out):
        v = p + 1
        a = F.boxes_from_view(pb[p, 0, ka][None], crops[0], views[0]['size'],
                              flips[0])[0]
        b = F.boxes_from_view(pb[p, 1, k][None], crops[v], views[v]['size'],
                              flips[v])[0]
        yield out['pair_ids'][p, 1, k], a, b, (p, ka, k)


def test_boxes_from_view_undoes_boxes_to_view():
    b = np.array([[10, 20, 30, 60], [0, 0, 5, 7]], np.float32)
    for crop, size, flip in (((10, 20, 40, 80), 20, False),
                             ((3, 0, 97, 51), 224, True)):
        there = F.boxes_to_view(b, crop, size, flip)
        np.testing.assert_allclose(F.boxes_from_view(there, crop, size, flip),
                                   b, atol=1e-4)


def test_default_partner_is_the_view1_box_cut_by_the_crop(photos):
    """The reference's boxes: the view-1 box is the whole proposal, the
    partner box is the view-1 box intersected with the other view's crop,
    and the pixels under the partner are those under that part of the
    view-1 box."""
    rng = np.random.default_rng(0)
    checked, good, control = 0, [], []
    for img in photos[:12]:
        h, w = img.shape[:2]
        for _ in range(3):
            props = random_proposals(rng, h, w)
            out = F.soco_views(img, props, rng, SOCO, jitter_prob=0.)
            whole = F.clip_boxes(props, (0, 0, w, h))
            for q, a, b, (p, ka, k) in original_pairs(out, SOCO):
                np.testing.assert_allclose(a, whole[q], atol=0.02)
                cut = F.clip_boxes(a[None], F.crop_region(out['crops'][p + 1]))
                np.testing.assert_allclose(b, cut[0], atol=0.02)
                checked += 1
                # pixels: the partner against that part of view 1
                part = F.boxes_to_view(cut, out['crops'][0], 224,
                                       out['flips'][0])[0]
                pb = out['pair_boxes'][p, 1, k]
                if min(part[2:] - part[:2]) < MIN_SIDE or \
                        min(pb[2:] - pb[:2]) < MIN_SIDE:
                    continue
                pa = box_patch(out['views'][0], part, out['flips'][0])
                pv = box_patch(out['views'][p + 1], pb, out['flips'][p + 1])
                good.append(np.abs(pa.astype(float) - pv).mean())
                shifted = pb.copy()
                shift = 0.5 * (pb[2] - pb[0])
                shifted[[0, 2]] += shift if pb[2] + shift <= SOCO[p + 1][
                    'size'] else -shift
                pc = box_patch(out['views'][p + 1], shifted,
                               out['flips'][p + 1])
                control.append(np.abs(pa.astype(float) - pc).mean())
    assert checked > 200 and len(good) > 100
    assert np.median(good) < 3, np.median(good)
    assert np.median(control) > 5 * np.median(good)


def partner_ious(images, proposals, rng, draws, **kw):
    """IoU in original pixels of every partner row, and its mean per pair."""
    from mmsoco.proposals.store.eval import iou
    rows, pairs = [], []
    for img, props in zip(images, proposals):
        for _ in range(draws):
            out = F.soco_views(img, props, rng, SOCO, jitter_prob=0., **kw)
            per_pair = {}
            for _, a, b, (p, _, _) in original_pairs(out, SOCO):
                per_pair.setdefault(p, []).append(iou(a[None], b[None])[0, 0])
            rows += sum(per_pair.values(), [])
            pairs += [np.mean(v) for v in per_pair.values()]
    return np.array(rows), np.array(pairs)


def test_partner_iou_on_real_proposals(coco_tiny):
    """On coco_tiny photos with their selective-search proposals, partners
    overlap by IoU ~0.75 in original pixels and a pair's mean IoU is below
    0.99 in over 95 % of pairs (the reference: 0.75, 98 %);
    box_clip='overlap' makes the partners identical."""
    from mmsoco.proposals import propose_image
    paths = sorted(glob.glob(osp.join(coco_tiny, 'train2017', '*.jpg')))[:8]
    images = [cv2.cvtColor(cv2.imread(p), cv2.COLOR_BGR2RGB) for p in paths]
    proposals = [propose_image(p)[0] for p in paths]
    assert all(len(b) for b in proposals)
    rows, pairs = partner_ious(images, proposals, np.random.default_rng(0),
                               25)
    assert len(rows) == 8 * 25 * 2 * 4 and len(pairs) == 8 * 25 * 2
    assert abs(rows.mean() - 0.75) < 0.05, rows.mean()
    assert (pairs < 0.99).mean() > 0.95, (pairs < 0.99).mean()
    rows, _ = partner_ious(images, proposals, np.random.default_rng(0), 2,
                           box_clip='overlap')
    assert rows.min() > 0.999
