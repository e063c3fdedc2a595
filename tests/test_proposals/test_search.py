"""Selective search on synthetic and real images."""
import os.path as osp

import cv2
import numpy as np
import pytest

from mmsoco.image_set import load_rgb
from mmsoco.proposals import filter_boxes, selective_search
from mmsoco.proposals.algorithm.search import felzenszwalb


def scene():
    """Grey noisy background with a red rectangle and a blue disc."""
    rng = np.random.default_rng(0)
    img = np.full((240, 320, 3), 128, np.uint8)
    img = np.clip(img + rng.normal(0, 3, img.shape), 0, 255).astype(np.uint8)
    img[40:140, 30:130] = (220, 30, 30)
    cv2.circle(img, (240, 160), 50, (30, 30, 220), -1)
    return img


def test_segmentation_is_a_partition_with_min_size():
    img = scene()
    labels, n = felzenszwalb(img, 300, 0.9, 100)
    assert labels.shape == img.shape[:2] and labels.dtype == np.int32
    counts = np.bincount(labels.ravel())
    assert len(counts) == n and counts.min() >= 100
    # the rectangle is one segment distinct from the background
    assert labels[90, 80] != labels[5, 5] != labels[160, 240]
    assert (labels[45:135, 35:125] == labels[90, 80]).all()


def best_iou(boxes, target):
    t = np.asarray(target, np.float64)
    x1 = np.maximum(boxes[:, 0], t[0])
    y1 = np.maximum(boxes[:, 1], t[1])
    x2 = np.minimum(boxes[:, 2], t[2])
    y2 = np.minimum(boxes[:, 3], t[3])
    inter = np.clip(x2 - x1, 0, None) * np.clip(y2 - y1, 0, None)
    area = (boxes[:, 2] - boxes[:, 0]) * (boxes[:, 3] - boxes[:, 1])
    return (inter / (area + (t[2] - t[0]) * (t[3] - t[1]) - inter)).max()


@pytest.mark.parametrize('neighbours', ['touch', 'overlap',
                                        'touch_or_overlap'])
def test_objects_are_found(neighbours):
    boxes = selective_search(scene(), neighbours=neighbours)
    rows = {tuple(b) for b in boxes.astype(int).tolist()}
    assert best_iou(boxes, (30, 40, 130, 140)) > 0.95  # rectangle
    assert best_iou(boxes, (190, 110, 291, 211)) > 0.95  # disc r=50
    assert (0, 0, 320, 240) in rows  # the root of the hierarchy
    assert len(rows) == len(boxes)  # no duplicates


def test_real_image_boxes_are_valid(photo_folder):
    path = osp.join(photo_folder, 'chelsea.jpg')
    rgb = load_rgb(path)
    h, w = rgb.shape[:2]
    boxes = selective_search(rgb)
    assert boxes.dtype == np.float32 and boxes.shape[1] == 4
    assert len(boxes) > 50
    assert (boxes[:, :2] >= 0).all() and (boxes[:, 2] <= w).all() \
        and (boxes[:, 3] <= h).all()
    assert (boxes[:, 2] > boxes[:, 0]).all() and \
        (boxes[:, 3] > boxes[:, 1]).all()
    np.testing.assert_array_equal(boxes, np.round(boxes))
    kept, stage = filter_boxes(boxes, (w, h))
    assert stage == 0 and 5 <= len(kept) < len(boxes)
    # deterministic
    np.testing.assert_array_equal(boxes, selective_search(rgb))


def test_same_segments_as_scikit_image(photo_folder):
    from skimage.segmentation import felzenszwalb as sk_felzenszwalb
    rgb = load_rgb(osp.join(photo_folder, 'coffee.jpg'))
    ours, n = felzenszwalb(rgb, 300, 0.9, 100)
    theirs = sk_felzenszwalb(rgb, scale=300, sigma=0.9, min_size=100)
    assert n == theirs.max() + 1
    # same partition up to label names (and rare ties): compare pixel pairs
    pairs = np.stack([ours.ravel(), theirs.ravel()], 1)
    assert len(np.unique(pairs, axis=0)) <= 1.02 * n


@pytest.mark.parametrize('shape', [(1, 1), (7, 20), (31, 31), (1, 50)])
def test_tiny_images(shape):
    img = np.random.default_rng(1).integers(0, 255, shape + (3, ), np.uint8)
    boxes = selective_search(img)
    assert len(boxes) >= 1
    assert boxes[-1].tolist() == [0, 0, shape[1], shape[0]]
    kept, stage = filter_boxes(boxes, shape[::-1])
    assert stage == 3 and kept.tolist() == [[0, 0, shape[1], shape[0]]]


def test_rejects_bad_arguments():
    with pytest.raises(ValueError, match='RGB uint8'):
        selective_search(np.zeros((10, 10), np.uint8))
    with pytest.raises(ValueError, match='neighbours'):
        selective_search(scene(), neighbours='adjacent')
