"""The few-label box probe's pure parts: label draws, logistic regression,
paired draws across networks, BN statistics recomputed from data."""
import numpy as np
import pytest
import torch
from torch import nn

from mmsoco.evaluation import (draw_shots, few_label_accuracies,
                               logistic_regression, recompute_bn_statistics)


def test_draw_shots_per_class_without_replacement():
    labels = torch.tensor([0] * 7 + [1] * 3 + [2] * 5)
    idx = draw_shots(labels, 4, np.random.default_rng(0))
    counts = torch.bincount(labels[idx], minlength=3).tolist()
    assert counts == [4, 3, 4] and len(set(idx.tolist())) == len(idx)
    assert draw_shots(labels, 0, np.random.default_rng(0)).tolist() == \
        list(range(15))
    other = draw_shots(labels, 4, np.random.default_rng(1))
    assert other.tolist() != idx.tolist()


def _blobs(n, d=16, seed=0, spread=0.3):
    g = torch.Generator().manual_seed(seed)
    centres = torch.randn(3, d, generator=g) * 3
    y = torch.arange(n) % 3
    return centres[y] + spread * torch.randn(n, d, generator=g), y


def test_logistic_regression_separates_blobs():
    x, y = _blobs(90)
    x, y, xq, yq = x[:60], y[:60], x[60:], y[60:]
    w = logistic_regression(x, y, 3)
    assert w.shape == (17, 3)
    xq = torch.nn.functional.normalize(xq.double(), dim=1) * 4
    pred = (torch.cat([xq, torch.ones(30, 1, dtype=torch.float64)], 1)
            @ w).argmax(1)
    assert (pred == yq).double().mean() > 0.9


def test_few_label_rows_are_paired_and_noise_is_chance():
    x, y = _blobs(90)
    good = dict(bank=dict(labels=y[:60], feats=dict(head=x[:60])),
                query=dict(labels=y[60:], feats=dict(head=x[60:])))
    noise = torch.randn(90, 16, generator=torch.Generator().manual_seed(5))
    bad = dict(bank=dict(labels=y[:60], feats=dict(head=noise[:60])),
               query=dict(labels=y[60:], feats=dict(head=noise[60:])))
    rows_g = few_label_accuracies(good, shots=(1, 0), draws=4, seed=3)
    rows_b = few_label_accuracies(bad, shots=(1, 0), draws=4, seed=3)
    key = [(r['classifier'], r['shots'], r['draw']) for r in rows_g]
    assert key == [(r['classifier'], r['shots'], r['draw']) for r in rows_b]
    assert len(rows_g) == 2 * (4 + 1)
    assert min(r['top1'] for r in rows_g) > 0.9
    assert np.mean([r['top1'] for r in rows_b]) < 0.7
    with pytest.raises(ValueError, match='unknown classifier'):
        few_label_accuracies(good, shots=(1, ), draws=1, classifiers=('x', ))


class _Net(nn.Module):
    def __init__(self):
        super().__init__()
        self.bn = nn.BatchNorm1d(2)

    def box_features(self, img, boxes):
        return self.bn(img)


def test_recompute_bn_statistics_uses_the_split_and_restores_modes():
    net = _Net().eval()
    items = [dict(inputs=torch.full((4, 2), float(v)) + torch.arange(4.)[:, None],
                  data_samples=type('S', (), dict(
                      metainfo=dict(split=s),
                      gt_instances=type('G', (), dict(
                          bboxes=torch.zeros(1, 4)))()))())
             for v, s in ((10, 'bank'), (20, 'bank'), (1000, 'query'))]
    used = recompute_bn_statistics(net, items, 'bank')
    assert used == 2 and not net.training and not net.bn.training
    assert net.bn.running_mean.tolist() == pytest.approx([16.5, 16.5])
    assert net.bn.momentum == 0.1
