"""Exact rules of the named proposal filters and their fallbacks."""
import numpy as np
import pytest

from mmsoco.proposals import FILTERS, BoxRules, filter_boxes, get_filter

W, H = 1000, 400  # sqrt(W*H) = 632.45...
MAIN = FILTERS['ratio3size0308'].stages[0]


def box(w, h, x=0, y=0):
    return [x, y, x + w, y + h]


def keep(rules, boxes, wh=(W, H)):
    return rules.keep(np.array(boxes, np.float32), wh).tolist()


def test_min_side_is_inclusive_at_32():
    r = BoxRules(min_side=32)
    assert keep(r, [box(32, 32), box(31.9, 100), box(100, 31)]) == \
        [True, False, False]


def test_aspect_bounds_are_inclusive_at_3_and_one_third():
    r = BoxRules(max_aspect=3)
    assert keep(r, [box(300, 100), box(100, 300), box(301, 100),
                    box(100, 301)]) == [True, True, False, False]


def test_relative_size_bounds():
    # 0.3 * sqrt(W*H) = 189.7, 0.8 * sqrt(W*H) = 505.96
    side_lo, side_hi = 0.3 * np.sqrt(W * H), 0.8 * np.sqrt(W * H)
    r = BoxRules(rel_size=(0.3, 0.8))
    assert keep(r, [box(190, 190), box(189, 189), box(505, 505),
                    box(507, 507), box(100, 400)]) == \
        [True, False, True, False, True]  # sqrt(100*400) = 200 -> 0.316
    assert side_lo < 190 and side_hi < 507


def test_main_rule_needs_all_three():
    boxes = [box(200, 200),  # ok
             box(600, 150),  # aspect 4
             box(30, 30),  # too small in every way
             box(520, 520)]  # too big (0.82)
    assert keep(MAIN, boxes) == [True, False, False, False]


def test_degenerate_boxes_never_pass():
    assert keep(BoxRules(), [box(0, 10), box(10, 0), [5, 5, 4, 9]]) == \
        [False, False, False]


def test_stage0_wins_when_anything_passes():
    boxes = np.array([box(200, 200), box(40, 40)], np.float32)
    kept, stage = filter_boxes(boxes, (W, H))
    assert stage == 0
    np.testing.assert_array_equal(kept, boxes[:1])
    assert kept.dtype == np.float32


def test_fallback1_drops_the_32px_rule_only():
    # image 100x100: a 31x31 box has rel size 0.31 but is under 32 px
    boxes = np.array([box(31, 31), box(90, 90), box(31, 100)], np.float32)
    kept, stage = filter_boxes(boxes, (100, 100))
    assert stage == 1
    np.testing.assert_array_equal(kept, boxes[:1])


def test_fallback2_keeps_boxes_of_32px_whatever_the_shape():
    boxes = np.array([box(600, 100), box(950, 390), box(10, 10)],
                     np.float32)
    kept, stage = filter_boxes(boxes, (W, H))
    assert stage == 2
    np.testing.assert_array_equal(kept, boxes[:2])


def test_whole_image_is_the_last_resort():
    for boxes in (np.zeros((0, 4), np.float32),
                  np.array([box(10, 10), box(20, 5)], np.float32)):
        kept, stage = filter_boxes(boxes, (W, H))
        assert stage == 3
        np.testing.assert_array_equal(kept, [[0, 0, W, H]])


def test_named_sets_and_errors():
    assert get_filter('ratio3size0308') is FILTERS['ratio3size0308']
    kept, stage = filter_boxes(np.array([box(10, 10)], np.float32), (W, H),
                               'none')
    assert stage == 0 and len(kept) == 1
    kept, stage = filter_boxes(np.array([box(10, 10)], np.float32), (W, H),
                               'ratio3size0308_nofallback')
    assert stage == 1 and kept.tolist() == [[0, 0, W, H]]
    custom = get_filter([BoxRules(min_side=5)])
    assert filter_boxes(np.array([box(10, 10)]), (W, H), custom)[1] == 0
    with pytest.raises(KeyError, match='ratio3size0308'):
        get_filter('ratio3')
