"""The few-label box probe: frozen box features of a labelled *bank* set
(the pool labels are drawn from) and a *query* set, classified by a
weighted k-NN and by a logistic regression trained on ``shots`` labelled
boxes per class, over several random label draws.

Random initialisation is only fair with BN statistics that match the data:
:func:`recompute_bn_statistics` replaces every BN layer's running mean and
variance with their average over a set of images (BN in training mode,
cumulative average, nothing else changes).
"""
from typing import Dict, List, Sequence

import numpy as np
import torch
import torch.nn.functional as F
from mmengine.dataset import pseudo_collate
from torch import Tensor
from torch.nn.modules.batchnorm import _BatchNorm

from .knn import classification_accuracy, knn_class_scores
from .probe_net import ProbeNet

ALL = 0  # ``shots`` value meaning every bank box


def _items(dataset, split=None):
    for i in range(len(dataset)):
        item = dataset[i]
        sample = item['data_samples']
        if split is None or sample.metainfo.get('split') == split:
            yield item


def recompute_bn_statistics(net: ProbeNet, dataset, split: str = 'bank',
                            max_images: int = 0) -> int:
    """Running statistics of every BN layer of ``net`` recomputed on the
    images of ``dataset`` (a ``BoxProbeDataset``) of one ``split`` (boxes
    included, for the box head's BN), one image per step, cumulative
    average; returns how many images were used."""
    bns = [m for m in net.modules() if isinstance(m, _BatchNorm)]
    momenta = [m.momentum for m in bns]
    modes = [(m, m.training) for m in net.modules()]
    for m in bns:
        m.reset_running_stats()
        m.momentum = None
    net.eval()
    for m in bns:
        m.train()
    used = 0
    try:
        with torch.no_grad():
            for item in _items(dataset, split):
                gt = item['data_samples'].gt_instances
                boxes = getattr(gt.bboxes, 'tensor', gt.bboxes)
                if not len(boxes):
                    continue
                net.box_features(item['inputs'], boxes)
                used += 1
                if max_images and used >= max_images:
                    break
    finally:
        for m, mom in zip(bns, momenta):
            m.momentum = mom
        for m, mode in modes:
            m.training = mode
    return used


def box_features(net: ProbeNet, dataset) -> Dict[str, dict]:
    """``{split: {'labels': (N,), 'feats': {name: (N, D)}}}`` for the
    splits of ``dataset`` (``bank`` and ``query``)."""
    rows: Dict[str, list] = {}
    for item in _items(dataset):
        for r in net.probe_batch(pseudo_collate([item])):
            if len(r['labels']):
                rows.setdefault(r['split'], []).append(r)
    out = {}
    for split, rs in rows.items():
        out[split] = dict(
            labels=torch.cat([r['labels'] for r in rs]).long(),
            feats={n: torch.cat([r['feats'][n] for r in rs])
                   for n in rs[0]['feats']})
    return out


def draw_shots(labels: Tensor, shots: int,
               rng: np.random.Generator) -> Tensor:
    """Indices of ``shots`` boxes per class (all of a class's boxes when it
    has fewer; every box for ``shots == ALL``), drawn without
    replacement."""
    if shots == ALL:
        return torch.arange(len(labels))
    picked = []
    for c in sorted(labels.unique().tolist()):
        idx = (labels == c).nonzero(as_tuple=True)[0].numpy()
        take = min(shots, len(idx))
        picked.extend(rng.choice(idx, size=take, replace=False).tolist())
    return torch.as_tensor(sorted(picked), dtype=torch.long)


def logistic_regression(x: Tensor, y: Tensor, num_classes: int,
                        weight_decay: float = 1e-4,
                        max_iter: int = 100) -> Tensor:
    """Multinomial logistic regression on L2-normalised features (x sqrt
    D), L-BFGS from zero; returns (D + 1, C) weights (last row: bias)."""
    x = _design(x)
    w = torch.zeros(x.shape[1], num_classes, dtype=torch.float64,
                    requires_grad=True)
    opt = torch.optim.LBFGS([w], lr=1, max_iter=max_iter,
                            history_size=10,
                            line_search_fn='strong_wolfe')

    def closure():
        opt.zero_grad()
        loss = F.cross_entropy(x @ w, y.long()) \
            + weight_decay * w[:-1].pow(2).sum()
        loss.backward()
        return loss

    with torch.enable_grad():
        opt.step(closure)
    return w.detach()


def _design(x: Tensor) -> Tensor:
    x = F.normalize(x.double(), dim=1) * x.shape[1]**0.5
    return torch.cat([x, x.new_ones(len(x), 1)], 1)


def few_label_accuracies(features: Dict[str, dict],
                         shots: Sequence[int] = (1, 5, 10, ALL),
                         draws: int = 10, seed: int = 0,
                         classifiers: Sequence[str] = ('knn', 'logreg'),
                         k: int = 20, temperature: float = 0.07,
                         num_classes: int = 0) -> List[dict]:
    """One row per (feature, classifier, shots, draw): ``top1`` and
    ``mean_acc`` of the query boxes. Draw ``d`` of ``shots`` takes the same
    bank boxes for every feature and classifier, and for every network
    probed with the same ``seed`` (paired comparisons). ``shots == ALL``
    has one draw."""
    bank, query = features['bank'], features['query']
    num_classes = num_classes or int(max(bank['labels'].max(),
                                         query['labels'].max())) + 1
    rows = []
    for n in shots:
        for d in range(1 if n == ALL else draws):
            rng = np.random.default_rng([seed, n, d])
            idx = draw_shots(bank['labels'], n, rng)
            y = bank['labels'][idx]
            for name, feats in bank['feats'].items():
                x, q = feats[idx], query['feats'][name]
                for clf in classifiers:
                    if clf == 'knn':
                        scores = knn_class_scores(x, y, q, num_classes, k,
                                                  temperature)
                    elif clf == 'logreg':
                        scores = _design(q) @ logistic_regression(
                            x, y, num_classes)
                    else:
                        raise ValueError(f'unknown classifier {clf!r} '
                                         '(knn, logreg)')
                    acc = classification_accuracy(scores.argmax(1),
                                                  query['labels'])
                    rows.append(dict(feature=name, classifier=clf,
                                     shots=n, draw=d, top1=acc['top1'],
                                     mean_acc=acc['mean_acc']))
    return rows
