"""InsLoc's pure parts: queue, InfoNCE, box augmentation, shuffle-BN."""
import math

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from mmsoco.datasets.transforms.insloc_functional import composite_params
from mmsoco.models.losses.info_nce import info_nce_loss, multi_level_info_nce
from mmsoco.models.utils.anchor_box_aug import (augment_boxes, box_iou,
                                                candidate_anchors,
                                                grid_anchors)
from mmsoco.models.utils.feature_queue import FeatureQueue, ring_indices
from mmsoco.models.utils.shuffle_bn import (batch_shuffle, batch_unshuffle,
                                            concat_all_gather)


# ----------------------------------------------------------------- queue
def test_ring_indices_wrap_around():
    assert ring_indices(3, 4, 5).tolist() == [3, 4, 0, 1]
    assert ring_indices(0, 5, 5).tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match='queue_len >= batch size'):
        ring_indices(0, 6, 5)


def test_queue_enqueue_dequeue_wraps_around():
    q = FeatureQueue(num_queues=2, dim=3, length=5)
    assert torch.allclose(q.queue.norm(dim=2), torch.ones(2, 5))
    init = q.queue.clone()
    batches = [torch.full((2, 3, 3), float(i + 1)) for i in range(3)]
    q.enqueue(batches[0])                             # slots 0, 1, 2
    assert torch.equal(q.queue[:, :3], batches[0])    # over initial keys
    assert torch.equal(q.queue[:, 3:], init[:, 3:])
    assert int(q.ptr) == 3
    q.enqueue(batches[1])                             # slots 3, 4, 0
    assert torch.equal(q.queue[:, 3:5], batches[1][:, :2])  # the last
    assert torch.equal(q.queue[:, 0], batches[1][:, 2])     # initial keys,
    assert torch.equal(q.queue[:, 1:3], batches[0][:, 1:])  # then the oldest
    assert not (q.queue[:, :, None] == init[:, None]).all(-1).any()
    assert int(q.ptr) == 1
    assert q.queue[:, :, 0].tolist() == [[2, 1, 1, 2, 2]] * 2
    q.enqueue(batches[2])                             # slots 1, 2, 3
    assert q.queue[:, :, 0].tolist() == [[2, 3, 3, 3, 2]] * 2
    assert int(q.ptr) == 4
    with pytest.raises(ValueError, match='cannot take a global batch of 6'):
        q.enqueue(torch.zeros(2, 6, 3))
    with pytest.raises(ValueError, match=r'\(2, n, 3\)'):
        q.enqueue(torch.zeros(1, 2, 3))
    assert set(q.state_dict()) == {'queue', 'ptr'}


# ------------------------------------------------------------------ loss
def _hand_info_nce(q, k, neg, t):
    total = 0.
    for i in range(q.shape[0]):
        pos = math.exp(float(q[i] @ k[i]) / t)
        negs = sum(math.exp(float(q[i] @ n) / t) for n in neg)
        total += -math.log(pos / (pos + negs))
    return total / q.shape[0]


def test_info_nce_matches_a_hand_computation():
    g = torch.Generator().manual_seed(0)
    levels = []
    for _ in range(4):
        q = F.normalize(torch.randn(3, 8, generator=g), dim=1)
        k = F.normalize(torch.randn(3, 8, generator=g), dim=1)
        n = F.normalize(torch.randn(7, 8, generator=g), dim=1)
        levels.append((q, k, n))
    for q, k, n in levels:
        assert info_nce_loss(q, k, n, 0.2).item() == pytest.approx(
            _hand_info_nce(q.double(), k.double(), n.double(), 0.2),
            rel=1e-5)
    losses = multi_level_info_nce(*zip(*levels), temperature=0.2)
    assert list(losses) == ['loss_p2', 'loss_p3', 'loss_p4', 'loss_p5']
    hand = sum(_hand_info_nce(q.double(), k.double(), n.double(), 0.2)
               for q, k, n in levels)
    assert sum(v.item() for v in losses.values()) == pytest.approx(
        hand, rel=1e-5)


def test_info_nce_gradient_flows_to_the_query_only():
    q = F.normalize(torch.randn(2, 4), dim=1).requires_grad_()
    k = F.normalize(torch.randn(2, 4), dim=1).requires_grad_()
    info_nce_loss(q, k, F.normalize(torch.randn(5, 4), dim=1)).backward()
    assert q.grad is not None and k.grad is None


# ------------------------------------------------------------- box aug
def test_anchor_grid():
    a = grid_anchors(256, 256, 16)
    assert a.shape == (16 * 16 * 20, 4)
    w, h = a[:, 2] - a[:, 0], a[:, 3] - a[:, 1]
    sides = (w * h).sqrt()
    assert torch.allclose(sides[:20].sort().values,
                          torch.tensor([32., 64, 128, 256]).repeat_interleave(
                              5), rtol=1e-5)
    assert torch.allclose((h / w)[:20:4], torch.tensor([.5, .75, 1, 1.5, 2]),
                          rtol=1e-5)
    assert a.min() < 0 and a.max() > 256  # not clipped
    centres = (a[:, :2] + a[:, 2:]) / 2
    assert torch.allclose(centres / 16, (centres / 16).round(), atol=1e-4)
    assert centres.min() == 0 and centres.max() == 240


def test_box_aug_picks_an_anchor_with_iou_at_least_half():
    rng = np.random.default_rng(0)
    g = torch.Generator().manual_seed(0)
    anchors = grid_anchors(256, 256, 16)
    boxes = torch.from_numpy(np.concatenate(
        [composite_params(480, 640, rng).box for _ in range(64)]))
    out = augment_boxes(boxes, (256, 256), generator=g)
    assert out.shape == boxes.shape
    iou = box_iou(out, boxes).diag()
    assert (iou >= 0.5).all(), iou.min()
    # every chosen box is one of the anchors (exactly)
    member = (out[:, None, :] == anchors[None]).all(-1).any(-1)
    assert member.all()
    # and the choice is random: not always the best anchor
    best = anchors[box_iou(boxes, anchors).argmax(1)]
    assert not torch.equal(out, best)


def test_box_aug_falls_back_to_the_top_anchors():
    anchors = grid_anchors(256, 256, 16)
    tiny = torch.tensor([100., 100., 104., 104.])
    assert (box_iou(tiny[None], anchors) <= 0.5).all()
    cand = candidate_anchors(tiny, anchors, 0.5, top_k=10)
    assert cand.shape == (10, 4)
    iou = box_iou(tiny[None], anchors)[0]
    assert box_iou(tiny[None], cand)[0].min() >= iou.sort(
        descending=True).values[9] - 1e-6
    out = augment_boxes(tiny[None], (256, 256), top_k=10)
    assert (out[0] == cand).all(-1).any()


# -------------------------------------------------------- shuffle-BN
def test_shuffle_is_identity_in_one_process():
    img, boxes = torch.randn(3, 3, 8, 8), torch.rand(3, 4)
    s_img, s_boxes, unshuffle = batch_shuffle(img, boxes)
    assert torch.equal(s_img, img) and torch.equal(s_boxes, boxes)
    assert torch.equal(batch_unshuffle(boxes, unshuffle), boxes)
    assert torch.equal(concat_all_gather(boxes), boxes)
