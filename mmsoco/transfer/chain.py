"""The transfer chain as functions: pretrain -> export -> fine-tune ->
evaluate, each stage leaving its result in a work dir and reusing it when
run again (an interrupted chain resumes where it stopped).

Used by ``tools/transfer_chain.py``. Every stage runs an mmengine Runner in
this process; the fine-tune stage evaluates with the transfer config's
``test_evaluator`` (mmdet's CocoMetric, bbox and segm).
"""
import json
import os.path as osp
import uuid
from typing import Dict, Mapping, Optional, Union

from mmsoco.utils.atomic import atomic_write
from .coco_data import CocoData
from .recipes import set_coco_data, set_coco_root, set_max_iters

COCO_KEYS = ('bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_75', 'segm_mAP',
             'segm_mAP_50', 'segm_mAP_75')


def _load_cfg(config: str, options: Optional[Mapping] = None):
    from mmengine.config import Config
    if not osp.isfile(config):
        raise FileNotFoundError(f'config {config} not found')
    cfg = Config.fromfile(config)
    if options:
        cfg.merge_from_dict(dict(options))
    return cfg


def _atomic_json(path: str, obj) -> None:
    atomic_write(path, json.dumps(obj, indent=1, sort_keys=True))


def _run_name(stage: str) -> str:
    # a distinct experiment name per run: mmengine keys its global
    # MessageHub / Visualizer instances by it, and several runs share
    # this process
    return f'{stage}_{uuid.uuid4().hex[:8]}'


def iteration_schedule(iters: int, warmup_frac: float = 0.1,
                       eta_min: float = 1e-6) -> list:
    """Linear warm-up from LR/100, then per-iteration cosine to ``eta_min``
    (SoCo's schedule shape, docs/algorithms.md, SoCo recipe) over ``iters``."""
    warmup = max(1, int(iters * warmup_frac)) if iters > 1 else 0
    sched = []
    if warmup:
        sched.append(dict(type='LinearLR', start_factor=0.01, by_epoch=False,
                          begin=0, end=warmup))
    sched.append(dict(type='CosineAnnealingLR', T_max=max(1, iters - warmup),
                      eta_min=eta_min, by_epoch=False, begin=warmup,
                      end=iters))
    return sched


def make_proposals(image_dir: str, store: str, workers: int = 1) -> str:
    """Selective-search proposals of ``image_dir`` (reused if present)."""
    from mmsoco.proposals import generate_store
    if not osp.isfile(osp.join(store, 'meta.json')):
        generate_store(image_dir, store, workers=workers)
    return store


def pretrain(config: str, image_dir: str, work_dir: str,
             iters: Optional[int] = None,
             options: Optional[Mapping] = None,
             workers: int = 1) -> str:
    """Pretrain with ``config`` on the images of ``image_dir`` (proposals
    are computed into ``work_dir/proposals`` first). ``iters`` turns the
    run into an iteration-based one with the SoCo schedule shape; ``None``
    keeps the config's own loop and schedule. Returns the last checkpoint;
    a finished run is reused, an interrupted one resumed."""
    from mmengine.runner import Runner
    run_dir = osp.join(work_dir, 'pretrain')
    done = osp.join(run_dir, 'done.json')
    if osp.isfile(done):
        with open(done) as f:
            return json.load(f)['checkpoint']
    cfg = _load_cfg(config, options)
    dataset = cfg.train_dataloader.dataset
    dataset.pop('build_demo', None)
    dataset.data_root = osp.abspath(image_dir)
    dataset.proposals = make_proposals(image_dir,
                                       osp.join(work_dir, 'proposals'),
                                       workers)
    dataset.ann_file = ''
    if iters:
        cfg.train_cfg = dict(type='IterBasedTrainLoop', max_iters=iters)
        cfg.param_scheduler = iteration_schedule(iters)
        cfg.train_dataloader.sampler = dict(type='InfiniteSampler',
                                            shuffle=True)
        cfg.default_hooks.checkpoint = dict(
            type='CheckpointHook', by_epoch=False,
            interval=max(1, iters // 4), max_keep_ckpts=1)
        cfg.log_processor = dict(window_size=10, by_epoch=False)
    cfg.work_dir = run_dir
    cfg.experiment_name = _run_name('pretrain')
    cfg.resume = True  # continues from run_dir's last checkpoint, if any
    cfg.load_from = None
    runner = Runner.from_cfg(cfg)
    runner.train()
    ckpt = _last_checkpoint(run_dir)
    _atomic_json(done, dict(checkpoint=ckpt, iters=runner.iter))
    return ckpt


def _last_checkpoint(run_dir: str) -> str:
    with open(osp.join(run_dir, 'last_checkpoint')) as f:
        return f.read().strip()


def export(checkpoint: str, out: str) -> str:
    """The online network of ``checkpoint`` as an mmdet export."""
    from .io import export_checkpoint, save_export
    if not osp.isfile(out):
        save_export(export_checkpoint(checkpoint), out,
                    source_path=checkpoint)
    return out


def init_cfg_for(checkpoint: str) -> dict:
    """Model overrides that initialise a detector from ``checkpoint``:
    mmsoco exports and pretraining checkpoints go through
    ``mmsoco.TransferPretrained`` (strict); any other checkpoint is taken
    as backbone weights (mmdet's ``backbone.init_cfg=Pretrained``
    convention, e.g. a supervised ImageNet ResNet); ``''`` is random
    initialisation."""
    from .convert import ExportError
    from .io import load_export
    if not checkpoint:
        return dict(init_cfg=dict(type='mmsoco.TransferPretrained',
                                  checkpoint=''))
    try:
        load_export(checkpoint)
    except ExportError:
        return dict(init_cfg=dict(type='mmsoco.TransferPretrained',
                                  checkpoint=''),
                    backbone=dict(init_cfg=dict(type='Pretrained',
                                                checkpoint=checkpoint)))
    return dict(init_cfg=dict(type='mmsoco.TransferPretrained',
                              checkpoint=checkpoint))


def finetune_and_evaluate(config: str, coco_root: Union[str, CocoData],
                          checkpoint: str, work_dir: str,
                          iters: Optional[int] = None,
                          options: Optional[Mapping] = None,
                          seed: int = 0) -> Dict[str, float]:
    """Fine-tune the transfer ``config`` from ``checkpoint`` ('' = random
    init) on a COCO-format train split, then evaluate on its val split with
    the config's COCO evaluator. ``coco_root``: a COCO-layout folder
    (train2017/, val2017/, annotations/) or a :class:`CocoData` (image
    folders and JSON files anywhere); the classes come from the JSON.
    ``options`` are merged last, so they may override anything. Returns the
    metrics (also written to ``work_dir/metrics.json`` and reused when
    present)."""
    from mmengine.runner import Runner
    out = osp.join(work_dir, 'metrics.json')
    if osp.isfile(out):
        with open(out) as f:
            return json.load(f)
    cfg = _load_cfg(config)
    cfg.merge_from_dict(dict(model=init_cfg_for(checkpoint)))
    if isinstance(coco_root, CocoData):
        set_coco_data(cfg, coco_root)
    else:
        set_coco_root(cfg, coco_root)
    if options:
        cfg.merge_from_dict(dict(options))
    if iters:
        set_max_iters(cfg, iters)
    # train without the periodic validation; one evaluation at the end
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.work_dir = work_dir
    cfg.experiment_name = _run_name('finetune')
    cfg.randomness = dict(seed=seed)
    cfg.resume = True
    cfg.load_from = None
    runner = Runner.from_cfg(cfg)
    runner.train()
    metrics = {k.split('/', 1)[-1]: float(v)
               for k, v in runner.test().items()}
    if not metrics:
        # CocoMetric returns nothing when no box passed the detector's
        # score threshold (a barely trained model): that is AP 0
        runner.logger.warning('no detections on the evaluation set: '
                              'AP counted as 0')
        metrics = {k: 0.0 for k in COCO_KEYS}
    _atomic_json(out, metrics)
    return metrics


def format_table(results: Mapping[str, Mapping[str, float]]) -> str:
    """A Markdown table of COCO AP (in %) per initialisation."""
    head = '| init | ' + ' | '.join(COCO_KEYS) + ' |'
    rule = '|---' * (len(COCO_KEYS) + 1) + '|'
    rows = [head, rule]
    for name, metrics in results.items():
        cells = [f'{100 * metrics[k]:.1f}' if k in metrics else '-'
                 for k in COCO_KEYS]
        rows.append(f'| {name} | ' + ' | '.join(cells) + ' |')
    return '\n'.join(rows)
