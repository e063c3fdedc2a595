"""The embedded demo set: real scikit-image photos + their proposals, built
once, atomically, with nothing downloaded."""
import os
import os.path as osp

import cv2
import numpy as np

from mmsoco.datasets.demo import DEMO_PHOTOS, MAX_SIDE, build_demo_set


def test_demo_set_builds_once_with_proposals(tmp_path):
    root = str(tmp_path / 'soco_demo')
    paths = build_demo_set(root)
    images = sorted(os.listdir(paths.image_dir))
    assert len(images) == len(DEMO_PHOTOS)
    assert not [n for n in os.listdir(root) if n.startswith('.')]  # no temp
    for name in images:
        img = cv2.imread(osp.join(paths.image_dir, name), cv2.IMREAD_UNCHANGED)
        assert img is not None and max(img.shape[:2]) <= MAX_SIDE
        assert img.std() > 10  # a real photo, not a blank
    from mmsoco.proposals import ProposalStore
    store = ProposalStore(paths.proposals)
    assert sorted(store.keys()) == images
    for name in images:
        boxes = store[name]
        h, w = cv2.imread(osp.join(paths.image_dir, name)).shape[:2]
        assert boxes.dtype == np.float32 and len(boxes) >= 1
        assert (boxes[:, 2] > boxes[:, 0]).all()
        assert (boxes[:, 3] > boxes[:, 1]).all()
        assert boxes[:, 2].max() <= w and boxes[:, 3].max() <= h
    mtime = os.stat(paths.image_dir).st_mtime_ns
    assert build_demo_set(root) == paths  # second call: nothing rebuilt
    assert os.stat(paths.image_dir).st_mtime_ns == mtime


def test_demo_set_without_proposals_then_with(tmp_path):
    """InsLoc's demo needs only images; SoCo's adds the store later."""
    root = str(tmp_path / 'soco_demo')
    paths = build_demo_set(root, with_proposals=False)
    assert osp.isdir(paths.image_dir) and not osp.exists(paths.proposals)
    build_demo_set(root)
    assert osp.exists(paths.proposals)
