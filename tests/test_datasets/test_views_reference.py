"""The reference's SoCo* fourth view, jitter space, padded view-1 rows and
per-row cutout (docs/reference_differences.md), each against its option,
on a real photo (scikit-image's astronaut, the ``astronaut`` fixture)."""

import cv2
import numpy as np
import pytest
from mmengine.registry import init_default_scope

from mmsoco.datasets.transforms import functional as F
from mmsoco.registry import TRANSFORMS

from ..helpers import random_boxes

PAIR = F.SOCO_STAR_VIEWS[:2]
EARLIER = dict(jitter_space='view', padded_jitter='redraw',
               downsample_pair='independent', downsample_flip='source')


def star_draws(astronaut, n, **kw):
    rng = np.random.default_rng(0)
    h, w = astronaut.shape[:2]
    return [F.soco_views(astronaut, random_boxes(rng, h, w, min_side=0.1),
                         rng, F.SOCO_STAR_VIEWS, **kw) for _ in range(n)]


# ------------------------------------------------------ SoCo*'s view 4
def test_soco_star_pair_1_4_repeats_pair_1_2(astronaut):
    """The reference: pair (1, 4) is pair (1, 2) again, the same proposal
    ids, padding and view-1 boxes; its view-4 boxes are pair (1, 2)'s
    view-2 boxes at view 4's scale and flip."""
    for out in star_draws(astronaut, 40):
        ids, pb = out['pair_ids'], out['pair_boxes']
        np.testing.assert_array_equal(ids[2], ids[0])
        np.testing.assert_array_equal(pb[2, 0], pb[0, 0])
        np.testing.assert_allclose(
            F.boxes_from_view(pb[2, 1], out['crops'][3], 112,
                              out['flips'][3]),
            F.boxes_from_view(pb[0, 1], out['crops'][1], 224,
                              out['flips'][1]), atol=0.02)
    own = star_draws(astronaut, 40, downsample_pair='independent')
    same = np.mean([np.array_equal(o['pair_ids'][2], o['pair_ids'][0])
                    for o in own])
    assert same < 0.5, same


def test_soco_star_view4_flips_on_its_own_coin(astronaut):
    """The reference flips view 4 on its own draw (equal to view 2's flip
    in about half the samples); downsample_flip='source' shares view 2's."""
    outs = star_draws(astronaut, 200, jitter_prob=0.)
    equal = np.mean([o['flips'][3] == o['flips'][1] for o in outs])
    assert 0.4 < equal < 0.6, equal
    for out in outs[:20]:
        assert out['crops'][3] == out['crops'][1]
        v2 = out['views'][1]
        if out['flips'][3] != out['flips'][1]:
            v2 = cv2.flip(v2, 1)
        np.testing.assert_array_equal(
            out['views'][3],
            cv2.resize(v2, (112, 112), interpolation=cv2.INTER_AREA))
    shared = star_draws(astronaut, 30, downsample_flip='source')
    assert all(o['flips'][3] == o['flips'][1] for o in shared)


# ------------------------------------------------------ jitter space
def jitter_shifts(astronaut, n, **kw):
    """Per jittered view-1 row: (x1, x2) shift over the proposal's width in
    original pixels, and whether view 1 was flipped."""
    rng = np.random.default_rng(1)
    h, w = astronaut.shape[:2]
    rows = []
    for _ in range(n):
        props = random_boxes(rng, h, w, min_side=0.1)
        out = F.soco_views(astronaut, props, rng, PAIR, jitter_prob=1., **kw)
        ids = out['pair_ids'][0, 0]
        if (ids < 0).any():
            continue
        orig = F.boxes_from_view(out['pair_boxes'][0, 0], out['crops'][0],
                                 224, out['flips'][0])
        prop = props[ids]
        inside = (orig[:, 0] > 0.5) & (orig[:, 2] < w - 0.5)  # not clipped
        bw = prop[:, 2] - prop[:, 0]
        for d1, d2 in zip(((orig[:, 0] - prop[:, 0]) / bw)[inside],
                          ((orig[:, 2] - prop[:, 2]) / bw)[inside]):
            rows.append((d1, d2, out['flips'][0]))
    return np.array(rows)


def test_jitter_moves_the_proposal_in_original_pixels(astronaut):
    """The reference jitters the proposal before the flip: in original
    pixels x1 moves by U(-0.1, 0.1) w and x2 by that plus the width change,
    flipped or not (std 0.058 / 0.082). Jittering in view 1's pixels
    (jitter_space='view') swaps the two roles on a flipped view 1."""
    rows = jitter_shifts(astronaut, 150)
    flipped = rows[rows[:, 2] == 1]
    assert len(flipped) > 100 and (rows[:, 2] == 0).sum() > 100
    assert np.abs(rows[:, 0]).max() <= 0.1 + 1e-3
    for part in (flipped, rows[rows[:, 2] == 0]):
        assert 0.045 < part[:, 0].std() < 0.07, part[:, 0].std()
        assert 0.07 < part[:, 1].std() < 0.095, part[:, 1].std()
    view = jitter_shifts(astronaut, 150, jitter_space='view')
    flipped = view[view[:, 2] == 1]
    assert np.abs(flipped[:, 0]).max() > 0.12
    assert flipped[:, 0].std() > flipped[:, 1].std()


# ------------------------------------------------------ padded rows
def padded_draws(astronaut, **kw):
    """Pairs with two shared proposals padded to K = 4, jitter always on."""
    rng = np.random.default_rng(2)
    props = np.array([[100, 100, 300, 300], [150, 120, 380, 330]],
                     np.float32)
    return [F.soco_views(astronaut, props, rng, PAIR, jitter_prob=1., **kw)
            for _ in range(60)]


def test_padded_view1_rows_are_copies(astronaut):
    """The reference jitters before padding: a padded view-1 row is an
    exact copy of its proposal's row (padded_jitter='redraw' jitters it on
    its own)."""
    def copies(outs):
        same = []
        for out in outs:
            ids, rows = out['pair_ids'][0, 0], out['pair_boxes'][0, 0]
            if (ids < 0).any():
                continue
            for k in range(2, 4):
                first = int(np.flatnonzero(ids == ids[k])[0])
                same.append(np.array_equal(rows[k], rows[first]))
        return np.array(same)

    same = copies(padded_draws(astronaut))
    assert len(same) > 80 and same.all()
    assert copies(padded_draws(astronaut, padded_jitter='redraw')).mean() < 0.1


# ------------------------------------------------------ cutout rows
def build(cfg):
    init_default_scope('mmsoco')
    return TRANSFORMS.build(cfg)


def cut_sample(ids):
    return dict(views=[np.full((224, 224, 3), 9, np.uint8)] * 2,
                pair_boxes=np.tile(np.array([[40, 40, 140, 120]],
                                            np.float32), (1, 2, 4, 1)),
                pair_ids=np.array([[ids, ids]], np.int64))


def test_cutout_draws_once_per_row_padded_duplicates_included():
    """The reference cuts each of a view's K rows with p = 0.5, duplicates
    included: one box padded to 4 rows is cut in 1 - 0.5^4 of the samples
    (rows='distinct': once per distinct box, 0.5)."""
    r = cut_sample([3, 3, 3, 3])
    rates = {}
    for rows in ('all', 'distinct'):
        t = build(dict(type='InBoxCutout') if rows == 'all' else
                  dict(type='InBoxCutout', rows=rows))
        hit = 0
        for seed in range(400):
            t.set_rng(seed)
            hit += (t(dict(r))['views'][1] != 9).any()
        rates[rows] = hit / 400
    assert 0.88 < rates['all'] < 0.99, rates
    assert 0.4 < rates['distinct'] < 0.6, rates
    # the same squares as cutting the four rows by hand
    t = build(dict(type='InBoxCutout'))
    t.set_rng(7)
    np.testing.assert_array_equal(
        t(dict(r))['views'][1],
        F.in_box_cutout(r['views'][1], r['pair_boxes'][0, 1],
                        np.random.default_rng(7)))
    with pytest.raises(ValueError, match='rows'):
        build(dict(type='InBoxCutout', rows='each'))


def test_cutout_of_view1_counts_a_repeated_pair_once():
    """views=(0, ...): view 1's rows over the pairs, a pair repeating an
    earlier one's rows (SoCo*'s pair (1, 4)) counted once."""
    r = cut_sample([3, 3, 5, 5])
    r['pair_boxes'] = np.concatenate([r['pair_boxes']] * 2)
    r['pair_ids'] = np.concatenate([r['pair_ids']] * 2)
    from mmsoco.datasets.transforms.in_box_cutout import boxes_of_view
    assert [len(b) for b in boxes_of_view(r['pair_boxes'], r['pair_ids'],
                                          0)] == [4]
    r['pair_boxes'][1, 0, 0] += 1
    assert [len(b) for b in boxes_of_view(r['pair_boxes'], r['pair_ids'],
                                          0)] == [4, 4]


# ------------------------------------------------------ the options
def test_multi_view_reference_defaults_and_options():
    t = build(dict(type='SoCoMultiView'))
    assert {k: t.kw[k] for k in EARLIER} == dict(
        jitter_space='original', padded_jitter='copy',
        downsample_pair='source', downsample_flip='independent')
    for name in EARLIER:
        with pytest.raises(ValueError, match=name):
            build(dict(type='SoCoMultiView', **{name: 'other'}))
    build(dict(type='SoCoMultiView', **EARLIER))


def test_earlier_options_keep_pair_1_4_apart(astronaut):
    """All four earlier options: view 4 shares view 2's flip and draws its
    own proposals; view-1 rows are jittered in view pixels, row by row."""
    outs = star_draws(astronaut, 30, **EARLIER)
    assert all(o['flips'][3] == o['flips'][1] for o in outs)
    assert np.mean([np.array_equal(o['pair_ids'][2], o['pair_ids'][0])
                    for o in outs]) < 0.5
