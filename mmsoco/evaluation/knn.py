"""Weighted k-nearest-neighbour classification of feature vectors, as pure
functions (the k-NN protocol of InstDisc / mmselfsup: cosine similarity,
the k most similar bank vectors vote with weight exp(similarity / T))."""
from typing import Dict, Optional

import torch
import torch.nn.functional as F
from torch import Tensor


def knn_class_scores(bank: Tensor, bank_labels: Tensor, query: Tensor,
                     num_classes: int, k: int = 20,
                     temperature: float = 0.07,
                     leave_one_out: bool = False) -> Tensor:
    """(Q, num_classes) vote of the ``k`` nearest bank vectors per query.

    Args:
        bank: (N, D) features (any scale: L2-normalised here).
        bank_labels: (N,) int class indices in ``[0, num_classes)``.
        query: (Q, D) features.
        k: neighbours per query (fewer if the bank is smaller).
        temperature: weight of a neighbour = exp(cosine / temperature).
        leave_one_out: the query set *is* the bank (Q == N, same order):
            a vector never votes for itself.
    """
    if bank.dim() != 2 or query.dim() != 2 or bank.shape[1] != query.shape[1]:
        raise ValueError(f'bank {tuple(bank.shape)} and query '
                         f'{tuple(query.shape)} must be (N, D) and (Q, D)')
    if leave_one_out and bank.shape[0] != query.shape[0]:
        raise ValueError('leave_one_out needs the query set to be the bank')
    bank = F.normalize(bank.double(), dim=1)
    query = F.normalize(query.double(), dim=1)
    sim = query @ bank.t()
    if leave_one_out:
        sim.fill_diagonal_(float('-inf'))
    k = min(k, bank.shape[0] - int(leave_one_out))
    if k < 1:
        raise ValueError('the k-NN bank is empty')
    top_sim, top_idx = sim.topk(k, dim=1)
    weights = (top_sim / temperature).exp()
    scores = torch.zeros(query.shape[0], num_classes, dtype=torch.float64)
    scores.scatter_add_(1, bank_labels.long()[top_idx], weights)
    return scores


def classification_accuracy(pred: Tensor, labels: Tensor,
                            min_per_class: int = 5) -> Dict[str, float]:
    """``top1``: fraction of correct predictions; ``mean_acc``: the mean of
    per-class accuracies over the classes with at least ``min_per_class``
    queries (nan if none); ``num_classes``: how many such classes."""
    pred, labels = pred.long(), labels.long()
    correct = (pred == labels).double()
    per_class = []
    for c in labels.unique():
        mask = labels == c
        if int(mask.sum()) >= min_per_class:
            per_class.append(correct[mask].mean())
    mean_acc = torch.stack(per_class).mean().item() if per_class \
        else float('nan')
    return dict(top1=correct.mean().item() if len(labels) else float('nan'),
                mean_acc=mean_acc, num_classes=float(len(per_class)))


def mean_pairwise_cosine(feats: Tensor) -> float:
    """Mean cosine similarity between two different rows: near 1 when the
    features have collapsed to one direction."""
    n = feats.shape[0]
    if n < 2:
        return float('nan')
    f = F.normalize(feats.double(), dim=1)
    total = f.sum(0).pow(2).sum() - n  # sum over i != j of <f_i, f_j>
    return (total / (n * (n - 1))).item()


def knn_evaluate(bank: Tensor, bank_labels: Tensor, query: Tensor,
                 query_labels: Tensor, num_classes: Optional[int] = None,
                 k: int = 20, temperature: float = 0.07,
                 leave_one_out: bool = False,
                 min_per_class: int = 5) -> Dict[str, float]:
    """k-NN accuracies of ``query`` against ``bank`` (see
    :func:`knn_class_scores`), plus ``mean_cos`` of the query features."""
    if num_classes is None:
        num_classes = int(max(bank_labels.max(), query_labels.max())) + 1
    scores = knn_class_scores(bank, bank_labels, query, num_classes, k,
                              temperature, leave_one_out)
    out = classification_accuracy(scores.argmax(1), query_labels,
                                  min_per_class)
    out['mean_cos'] = mean_pairwise_cosine(query)
    return out
