"""Pure building blocks of the SoCo model: level assignment, loss, EMA."""
import math

import pytest
import torch
from torch import nn

from mmsoco.models.losses import normalized_cosine_loss, symmetric_soco_loss
from mmsoco.models.utils import (assign_levels, boxes_to_rois,
                                 cosine_momentum, ema_update_)


def square(side: float, x0: float = 5., y0: float = 7.) -> list:
    return [x0, y0, x0 + side, y0 + side]


@pytest.mark.parametrize('side,level', [
    (1., 0), (47.9, 0), (48., 0), (48.01, 1), (96., 1), (96.5, 2),
    (192., 2), (192.01, 3), (224., 3)])
def test_level_assignment_at_thresholds(side, level):
    boxes = torch.tensor([square(side)])
    assert assign_levels(boxes).tolist() == [level]


def test_level_assignment_uses_sqrt_area_in_view_pixels():
    # 24 x 96: sqrt = 48 -> P2; 24 x 97 -> P3; 400 x 92.16: sqrt 192 -> P4
    boxes = torch.tensor([[0, 0, 24, 96], [0, 0, 24, 97],
                          [10, 10, 410, 102.16], [3, 3, 3, 50]])
    assert assign_levels(boxes).tolist() == [0, 1, 2, 0]
    # shape is kept for (B, K, 4)
    assert assign_levels(boxes.view(2, 2, 4)).shape == (2, 2)


def test_boxes_to_rois_layout():
    boxes = torch.arange(2 * 3 * 4, dtype=torch.float32).view(2, 3, 4)
    rois = boxes_to_rois(boxes)
    assert rois.shape == (6, 5)
    assert rois[:, 0].tolist() == [0, 0, 0, 1, 1, 1]
    assert torch.equal(rois[4, 1:], boxes[1, 1])


def hand_loss(pred, target):
    """-2 x mean over images of the mean over boxes of cos(pred, target)."""
    per_image = []
    for b in range(pred.shape[0]):
        cos = [float(torch.dot(p, t) / (p.norm() * t.norm()))
               for p, t in zip(pred[b], target[b])]
        per_image.append(sum(cos) / len(cos))
    return -2 * sum(per_image) / len(per_image)


def test_loss_matches_hand_computation():
    pred = torch.tensor([[[1., 0.], [1., 1.]], [[0., 2.], [3., 4.]]])
    target = torch.tensor([[[1., 0.], [-1., 1.]], [[0., -1.], [4., 3.]]])
    # image 0: cos 1 and 0 -> 0.5; image 1: cos -1 and 24/25 -> -0.02
    expected = -2 * (0.5 + (-1 + 24 / 25) / 2) / 2
    assert math.isclose(expected, hand_loss(pred, target), rel_tol=1e-6)
    got = normalized_cosine_loss(pred, target)
    assert math.isclose(float(got), expected, rel_tol=1e-6)


def test_loss_bounds_and_identity():
    x = torch.randn(3, 4, 8)
    assert math.isclose(float(normalized_cosine_loss(x, 2 * x)), -2.,
                        abs_tol=1e-6)
    assert math.isclose(float(normalized_cosine_loss(x, -x)), 2.,
                        abs_tol=1e-6)


def test_symmetric_loss_sums_both_directions():
    g = torch.Generator().manual_seed(1)
    pa, ta, pb, tb = (torch.randn(2, 4, 5, generator=g) for _ in range(4))
    got = symmetric_soco_loss(pa, ta, pb, tb)
    expected = hand_loss(pa, tb) + hand_loss(pb, ta)
    assert math.isclose(float(got), expected, rel_tol=1e-5)


def test_correspondence_matrix_identity_equals_rowwise():
    g = torch.Generator().manual_seed(2)
    p, t = torch.randn(2, 4, 5, generator=g), torch.randn(2, 4, 5, generator=g)
    eye = torch.eye(4).expand(2, 4, 4)
    assert torch.allclose(normalized_cosine_loss(p, t, eye),
                          normalized_cosine_loss(p, t), atol=1e-5)
    # duplicates (ids 7, 7, 9, 9) also match each other, as the reference
    ids = torch.tensor([7, 7, 9, 9])
    corr = (ids[:, None] == ids[None, :]).float().expand(2, 4, 4)
    pn = torch.nn.functional.normalize(p, dim=-1)
    tn = torch.nn.functional.normalize(t, dim=-1)
    sim = pn @ tn.transpose(1, 2)
    expected = -2 * ((sim * corr).sum((1, 2)) / 8).mean()
    assert torch.allclose(normalized_cosine_loss(p, t, corr), expected,
                          atol=1e-5)


def test_cosine_momentum_schedule():
    total = 1000
    assert cosine_momentum(0, total) == pytest.approx(0.99)
    assert cosine_momentum(total // 2, total) == pytest.approx(0.995)
    assert cosine_momentum(total, total) == pytest.approx(1.0)
    # tau only depends on (k, K): a resumed run at k continues the curve
    taus = [cosine_momentum(k, total) for k in range(total + 1)]
    assert all(a <= b for a, b in zip(taus, taus[1:]))
    assert cosine_momentum(250, total) == pytest.approx(
        1 - 0.01 * (math.cos(math.pi / 4) + 1) / 2)


def test_ema_update_moves_parameters_and_keeps_buffers():
    torch.manual_seed(0)
    online = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
    target = nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))
    online[1].running_mean.fill_(5.)
    before = target[0].weight.clone()
    ema_update_(target, online, 0.9)
    assert torch.allclose(target[0].weight,
                          0.9 * before + 0.1 * online[0].weight)
    # the target's BN statistics are its own (docs/algorithms.md)
    assert torch.equal(target[1].running_mean, torch.zeros(3))


class _Hub:

    def __init__(self):
        self.scalars = {}

    def update_scalar(self, key, value):
        self.scalars[key] = value


class _Runner:
    """The runner attributes MomentumTargetHook reads."""

    def __init__(self, model, it, max_iters):
        self.model, self.iter, self.max_iters = model, it, max_iters
        self.message_hub = _Hub()


class _EMAModel(nn.Module):

    def __init__(self):
        super().__init__()
        self.calls = []

    def update_target(self, k, total):
        self.calls.append((k, total))
        return cosine_momentum(k, total)


@pytest.mark.parametrize('it,tau', [(0, 0.99), (500, 0.995), (1000, 1.0),
                                    (250, 1 - 0.01 * (math.cos(math.pi / 4)
                                                      + 1) / 2)])
def test_target_hook_takes_k_from_the_runner(it, tau):
    """k is the runner's iteration: 0, K/2, K, and after a resume at 250
    the hook continues at 250 (the reference restarts its counter)."""
    from mmsoco.engine.hooks import MomentumTargetHook
    model = _EMAModel()
    runner = _Runner(model, it, 1000)
    MomentumTargetHook().before_train_iter(runner, batch_idx=0)
    assert model.calls == [(it, 1000)]
    assert runner.message_hub.scalars['train/ema_momentum'] == \
        pytest.approx(tau)
