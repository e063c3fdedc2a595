"""The probe outside a Runner: build the network from a file, run it over a
``BoxProbeDataset``, summarise (used by tools/probe.py and benchmarks)."""
import os.path as osp
from typing import Dict, Optional

import torch
from mmengine.dataset import pseudo_collate

from .box_knn_probe import BoxKNNProbe
from .probe_net import ProbeNet


class ProbeInputError(ValueError):
    """A probe input (checkpoint, config) that cannot be used; the message
    is one line naming the file and the fix."""


def model_from_config(config: str, seed: int = 0):
    """The config's mmsoco model at random initialisation (seeded), with
    SyncBN turned into BN."""
    from mmengine.config import Config
    from mmengine.logging import MMLogger
    from mmengine.model import revert_sync_batchnorm
    from mmengine.registry import init_default_scope

    from mmsoco.registry import MODELS
    if not osp.isfile(config):
        raise ProbeInputError(f'{config}: no such config file')
    try:
        cfg = Config.fromfile(config)
    except Exception as e:  # syntax errors, missing _base_ files ...
        raise ProbeInputError(f'cannot read config {config}: '
                              f'{type(e).__name__}: {str(e)[:120]}') from None
    if 'model' not in cfg:
        raise ProbeInputError(f'{config} has no model')
    init_default_scope(cfg.get('default_scope', 'mmsoco'))
    torch.manual_seed(seed)
    model = revert_sync_batchnorm(MODELS.build(cfg.model))
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel('WARNING')  # init_weights logs every parameter
    try:
        model.init_weights()
    finally:
        logger.setLevel(level)
    return model


def load_probe_net(path: str, random_init: bool = False, seed: int = 0,
                   device: str = 'cpu', stages: bool = False) -> ProbeNet:
    """``path``: a pretraining checkpoint (SoCo, SoCo*, SoCoC4, InsLoc,
    InsLocC4), an export of one (tools/export_weights.py, mmdet format), or
    with ``random_init`` a pretraining config. ``stages``: also the FPN's
    and C2-C4's box features (FPN models only)."""
    from mmsoco.transfer import ExportError, load_export
    if path.endswith('.py'):
        if not random_init:
            raise ProbeInputError(
                f'{path} is a config: add --random to probe its random '
                'initialisation, or pass a checkpoint / export')
        net = ProbeNet.from_model(model_from_config(path, seed))
    else:
        if random_init:
            raise ProbeInputError(f'--random takes a config (.py), not '
                                  f'{path}')
        try:
            export = load_export(path)
        except ExportError as e:
            raise ProbeInputError(str(e).splitlines()[0]) from None
        try:
            net = ProbeNet.from_export(export, path)
        except (ValueError, KeyError, RuntimeError) as e:
            raise ProbeInputError(
                f'{path}: cannot rebuild its network for the probe '
                f'({type(e).__name__}: {str(e).splitlines()[0][:160]})'
            ) from None
    if stages:
        if net.is_c4:
            raise ProbeInputError(f'{path}: --stages needs an FPN model; '
                                  'this one is C4 (drop --stages)')
        net.stages = True
    return net.to(device)


def run_probe(net: ProbeNet, dataset, k: int = 20,
              temperature: float = 0.07,
              min_per_class: int = 5,
              progress_every: Optional[float] = 10.0) -> Dict[str, float]:
    """Box features of every item of ``dataset`` (a ``BoxProbeDataset``)
    -> :class:`BoxKNNProbe`'s metrics (without prefix). A progress line
    (images done, ETA) goes to stderr every ``progress_every`` seconds
    (None: silent)."""
    from mmsoco.utils.progress import Progress
    metric = BoxKNNProbe(k=k, temperature=temperature,
                         min_per_class=min_per_class)
    metric.dataset_meta = dataset.metainfo
    every = float('inf') if progress_every is None else progress_every
    progress = Progress(len(dataset), 'probe', 'images', every=every,
                        first=min(5.0, every))
    for i in range(len(dataset)):
        batch = pseudo_collate([dataset[i]])
        metric.process(batch, net.probe_batch(batch))
        progress.update()
    return {key.split('/', 1)[-1]: v
            for key, v in metric.evaluate(len(dataset)).items()}


def summary_line(metrics: Dict[str, float],
                 name: Optional[str] = None) -> str:
    """One line: top-1 / mean per-class accuracy / mean cosine per feature,
    the majority-class baseline and the box counts."""
    parts = []
    for key in metrics:
        feat = key[:-len('_top1')]
        if key.endswith('_top1') and feat != 'majority':
            parts.append(f'{feat} top1 {metrics[feat + "_top1"]:.3f} '
                         f'mean-class {metrics[feat + "_mean_acc"]:.3f} '
                         f'cos {metrics[feat + "_mean_cos"]:.2f}')
    bank = int(metrics['num_bank'])
    src = f'{bank} bank boxes' if bank else 'leave-one-out'
    return (f'probe{" " + name if name else ""}: ' + ' | '.join(parts)
            + f' | majority {metrics["majority_top1"]:.3f} | '
            f'{int(metrics["num_query"])} query boxes, {src}')
