"""The box k-NN probe as an mmengine metric."""
from typing import Dict, List, Optional, Sequence

import torch
from mmengine.evaluator import BaseMetric

from mmsoco.registry import METRICS
from .knn import knn_evaluate


@METRICS.register_module()
class BoxKNNProbe(BaseMetric):
    """Weighted k-NN top-1 and mean per-class accuracy of frozen box
    features (the detection analogue of mmselfsup's k-NN benchmark).

    ``process`` takes what :meth:`ProbeNet.probe_batch` returns (per image:
    ``feats`` {name: (K, D)}, ``labels`` (K,), ``split``). Boxes of the
    ``'bank'`` split vote for those of the ``'query'`` split; without bank
    boxes every query box is classified by the other query boxes
    (leave-one-out).

    Metrics, per feature name (``head``; ``c5`` for FPN models, and with
    the net's ``stages`` ``fpn``, ``c4``, ``c3``, ``c2``):
    ``{name}_top1``, ``{name}_mean_acc`` (mean over the classes with at least
    ``min_per_class`` query boxes), ``{name}_mean_cos`` (mean cosine between
    two query boxes: close to 1 = collapsed features); and
    ``majority_top1`` (always answering the bank's most frequent class),
    ``num_query``, ``num_bank``.

    Args:
        k: neighbours (20). temperature: vote weight exp(cos / T) (0.07).
        min_per_class: query boxes a class needs to enter ``mean_acc``.
    """

    default_prefix: Optional[str] = 'probe'

    def __init__(self, k: int = 20, temperature: float = 0.07,
                 min_per_class: int = 5, collect_device: str = 'cpu',
                 prefix: Optional[str] = None):
        super().__init__(collect_device=collect_device, prefix=prefix)
        self.k, self.temperature = k, temperature
        self.min_per_class = min_per_class

    def process(self, data_batch, data_samples: Sequence[dict]) -> None:
        for s in data_samples:
            if len(s['labels']):
                self.results.append(dict(
                    feats={n: f.detach().cpu() for n, f in s['feats'].items()},
                    labels=torch.as_tensor(s['labels']).cpu(),
                    split=s['split']))

    def compute_metrics(self, results: List[dict]) -> Dict[str, float]:
        split = {s: [r for r in results if r['split'] == s]
                 for s in ('bank', 'query')}
        if not split['query']:
            raise ValueError('BoxKNNProbe: no query boxes to classify')
        loo = not split['bank']
        bank = split['query'] if loo else split['bank']

        def cat(rows, name=None):
            return torch.cat([r['feats'][name] if name else r['labels']
                              for r in rows])

        q_labels, b_labels = cat(split['query']), cat(bank)
        num_classes = len((self.dataset_meta or {}).get('classes', ())) \
            or int(max(q_labels.max(), b_labels.max())) + 1
        out = dict(num_query=float(len(q_labels)),
                   num_bank=0. if loo else float(len(b_labels)))
        majority = torch.bincount(b_labels, minlength=num_classes).argmax()
        out['majority_top1'] = (q_labels == majority).double().mean().item()
        for name in split['query'][0]['feats']:
            res = knn_evaluate(cat(bank, name), b_labels,
                               cat(split['query'], name), q_labels,
                               num_classes, self.k, self.temperature,
                               leave_one_out=loo,
                               min_per_class=self.min_per_class)
            for key in ('top1', 'mean_acc', 'mean_cos'):
                out[f'{name}_{key}'] = res[key]
        return out
