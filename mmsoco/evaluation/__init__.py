"""Evaluation of pretrained features: the box k-NN probe, and the
statistics that compare initialisations (paired bootstrap, curve area)."""
from .bootstrap import paired_bootstrap_ci
from .box_knn_probe import BoxKNNProbe
from .box_probe_dataset import BoxProbeDataset
from .box_probe_val_loop import BoxProbeValLoop
from .curve_area import curve_area
from .few_label import (box_features, draw_shots, few_label_accuracies,
                        logistic_regression, recompute_bn_statistics)
from .knn import (classification_accuracy, knn_class_scores, knn_evaluate,
                  mean_pairwise_cosine)
from .probe_arch import probe_arch
from .probe_net import ProbeNet, eval_mode
from .run_probe import (ProbeInputError, load_probe_net, model_from_config,
                        run_probe, summary_line)

__all__ = [
    'BoxKNNProbe', 'BoxProbeDataset', 'BoxProbeValLoop', 'ProbeNet',
    'classification_accuracy', 'curve_area', 'eval_mode', 'knn_class_scores',
    'knn_evaluate', 'mean_pairwise_cosine', 'probe_arch', 'ProbeInputError',
    'load_probe_net', 'model_from_config', 'paired_bootstrap_ci',
    'run_probe', 'summary_line', 'box_features', 'draw_shots',
    'few_label_accuracies', 'logistic_regression', 'recompute_bn_statistics'
]
