"""Proposal quality on real COCO images (at least the reference's
recall, 0.790 at IoU 0.5 of the filter-eligible GT, with <= 28 boxes/img).

Runs the real generator on all 80 coco_tiny val2017 images (about 10-20 s on
2 shared cores) and scores it with the benchmark's own recall code
(mmsoco/proposals/store/eval.py, shared with benchmarks/proposals.py).
"""
import os.path as osp
import time

import numpy as np

from mmsoco.proposals import ProposalStore, generate_store
from mmsoco.proposals.store.eval import eligible_gt, iou, recall

MIN_RECALL = 0.790  # the reference tool on these images
MAX_BOXES_PER_IMAGE = 28.0


def test_eval_helpers_on_hand_made_boxes(tmp_path):
    import json
    ann = dict(
        images=[dict(id=1, file_name='a.jpg', width=200, height=100)],
        annotations=[
            dict(image_id=1, bbox=[10, 10, 80, 60], iscrowd=0),  # eligible
            dict(image_id=1, bbox=[10, 10, 80, 60], iscrowd=1),  # crowd
            dict(image_id=1, bbox=[0, 0, 20, 100], iscrowd=0),  # w < 32
            dict(image_id=1, bbox=[0, 0, 190, 40], iscrowd=0),  # aspect > 3
            dict(image_id=1, bbox=[0, 0, 190, 95], iscrowd=0),  # > 0.8
        ])
    f = tmp_path / 'ann.json'
    f.write_text(json.dumps(ann))
    gt = eligible_gt(str(f))
    np.testing.assert_array_equal(gt['a.jpg'], [[10, 10, 90, 70]])
    assert iou(np.array([[0, 0, 10, 10]]), np.array([[5, 0, 15, 10]]))[0, 0] \
        == 50 / 150
    store = {'x/a.jpg': np.array([[12, 10, 90, 70], [0, 0, 5, 5]])}
    assert recall(store, gt, ['x/a.jpg']) == (1.0, 1, 2.0)
    store = {'x/a.jpg': np.array([[50, 10, 90, 70]])}  # IoU 0.5: 40/80
    assert recall(store, gt, ['x/a.jpg']).recall == 1.0
    store = {'x/a.jpg': np.array([[51, 10, 90, 70]])}  # just under
    assert recall(store, gt, ['x/a.jpg']).recall == 0.0
    assert recall({'x/a.jpg': np.zeros((0, 4))}, gt, ['x/a.jpg']) == (0.0, 1,
                                                                     0.0)


def test_recall_and_boxes_per_image_on_coco_tiny(coco_tiny, tmp_path):
    images = osp.join(coco_tiny, 'val2017')
    gt = eligible_gt(osp.join(coco_tiny, 'annotations',
                              'instances_val2017.json'))
    t = time.perf_counter()
    res = generate_store(images, str(tmp_path / 'store'), workers=1,
                         progress=False)
    seconds = time.perf_counter() - t
    store = ProposalStore(res.path)
    keys = list(store.keys())
    assert len(keys) == 80 and not res.bad
    rec = recall(store, gt, keys)
    print(f'\ncoco_tiny val2017: recall@0.5 {rec.recall:.3f} of '
          f'{rec.num_gt} eligible GT, {rec.boxes_per_image:.1f} boxes/img, '
          f'{seconds:.1f} s for 80 images')
    assert rec.num_gt == 100  # the eligible GT of these 80 images
    assert rec.recall >= MIN_RECALL, rec
    assert rec.boxes_per_image <= MAX_BOXES_PER_IMAGE, rec
