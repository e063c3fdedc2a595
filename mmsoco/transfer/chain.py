"""The transfer chain as functions: pretrain -> export -> fine-tune ->
evaluate, each stage leaving its result in a work dir.

Every stage records its settings (:mod:`.stages`): a rerun with the same
settings reuses a finished stage and resumes an interrupted one; a rerun
with other settings runs the stage again and says which settings changed.
Pretraining follows the run-length rule of ``tools/train.py``
(:mod:`mmsoco.engine.run_length`): ``iters`` rescales the config's whole
schedule, warm-up share included.

Used by ``tools/transfer_chain.py``. Every stage runs an mmengine Runner in
this process; the fine-tune stage evaluates with the transfer config's
``test_evaluator`` (mmdet's CocoMetric, bbox and segm).
"""
import hashlib
import json
import os.path as osp
import uuid
from typing import Callable, Dict, Mapping, Optional, Sequence, Union

from mmsoco.utils.atomic import atomic_write
from mmsoco.utils.atomic_checkpoints import latest_checkpoint
from .coco_data import CocoData
from .errors import StageError
from .recipes import set_coco_data, set_coco_root, set_image_scale, \
    set_max_iters
from .stages import StageRecord, file_identity

COCO_KEYS = ('bbox_mAP', 'bbox_mAP_50', 'bbox_mAP_75', 'segm_mAP',
             'segm_mAP_50', 'segm_mAP_75')
DEFAULT_FILTER = 'ratio3size0308'


def _say(msg: str) -> None:
    print(f'[chain] {msg}', flush=True)


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


def config_digest(cfg) -> str:
    """A short digest of everything a config says (after all edits)."""
    text = json.dumps(cfg.to_dict(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def _run_name(stage: str) -> str:
    # a distinct experiment name per run: mmengine keys its global
    # MessageHub / Visualizer instances by it, and several runs share
    # this process
    return f'{stage}_{uuid.uuid4().hex[:8]}'


def _add_progress(cfg, what: str) -> None:
    hooks = list(cfg.get('custom_hooks') or [])
    hooks.append(dict(type='mmsoco.ProgressHook', what=what))
    cfg.custom_hooks = hooks


def _report(record: StageRecord, changed, say: Callable) -> None:
    if changed:
        say(f'{record.name}: settings changed ({"; ".join(changed)}): '
            'running it again')


def make_proposals(image_dir: str, store: str, workers: int = 1,
                   filter: str = DEFAULT_FILTER, scale: float = 300,
                   min_size: int = 100, overwrite: bool = False) -> str:
    """Selective-search proposals of ``image_dir`` into ``store``: a store
    made with these settings from these images is reused, an interrupted
    one resumed; ``overwrite`` replaces one made otherwise. Bad input
    raises :class:`~.errors.StageError` (one line)."""
    from mmsoco.proposals import LockBusy, generate_store
    try:
        generate_store(image_dir, store, workers=workers, filter=filter,
                       scale=scale, min_size=min_size, overwrite=overwrite)
    except (ValueError, KeyError, FileExistsError, LockBusy) as e:
        raise StageError(f'proposals of {image_dir}: '
                         f'{str(e).splitlines()[0]}') from None
    return store


def proposals_stage(image_dir: str, work_dir: str, workers: int = 1,
                    filter: str = DEFAULT_FILTER, scale: float = 300,
                    min_size: int = 100, say: Callable = _say) -> str:
    """:func:`make_proposals` into ``work_dir/proposals``, recorded as the
    chain's ``proposals`` stage (other images or settings: recomputed)."""
    store = osp.join(work_dir, 'proposals')
    record = StageRecord(work_dir, 'proposals', dict(
        images=osp.abspath(image_dir), filter=filter, scale=float(scale),
        min_size=int(min_size)))
    if record.result() is not None and osp.isdir(store):
        return store
    changed = record.start()
    _report(record, changed, say)
    # a store there made otherwise, or before the chain recorded its
    # settings, is the chain's own: replaced
    replace = bool(changed) or (not record.had_record and osp.exists(store))
    make_proposals(image_dir, store, workers, filter, scale, min_size,
                   overwrite=replace)
    return record.finish(store)


def pretrain(config: str, image_dir: str, work_dir: str,
             iters: Optional[int] = None,
             options: Optional[Mapping] = None,
             workers: int = 1, proposal_filter: str = DEFAULT_FILTER,
             proposal_scale: float = 300, proposal_min_size: int = 100,
             say: Callable = _say) -> str:
    """Pretrain with ``config`` on the images of ``image_dir`` (proposals
    are computed into ``work_dir/proposals`` first, with the filter preset
    ``proposal_filter`` and the segmentation scale ``proposal_scale``).
    ``iters`` rescales the whole run to that many iterations (schedule,
    checkpoint and log intervals), as ``tools/train.py --iters`` does;
    ``None`` keeps the config's length. Returns the last checkpoint; a
    finished run with the same settings is reused, an interrupted one
    resumed, one with other settings replaced."""
    from mmengine.runner import Runner

    from mmsoco.engine.run_length import fit_schedule_to_run, set_run_length
    proposals = proposals_stage(image_dir, work_dir, workers,
                                proposal_filter, proposal_scale,
                                proposal_min_size, say)
    run_dir = osp.join(work_dir, 'pretrain')
    cfg = _load_cfg(config, options)
    dataset = cfg.train_dataloader.dataset
    dataset.pop('build_demo', None)
    dataset.data_root = osp.abspath(image_dir)
    dataset.proposals = proposals
    dataset.ann_file = ''
    if iters:
        set_run_length(cfg, iters=iters)
    else:
        fit_schedule_to_run(cfg)
    record = StageRecord(work_dir, 'pretrain', dict(
        config=osp.abspath(config), images=osp.abspath(image_dir),
        iters=iters, options=dict(options or {}),
        proposals=file_identity(osp.join(proposals, 'meta.json')),
        config_digest=config_digest(cfg)), folder=run_dir)
    done = record.result()
    if done is not None and osp.isfile(done):
        return done
    _report(record, record.start(), say)
    _add_progress(cfg, 'pretrain')
    cfg.work_dir = run_dir
    cfg.experiment_name = _run_name('pretrain')
    cfg.resume = True  # continues from run_dir's last checkpoint, if any
    cfg.load_from = None
    runner = Runner.from_cfg(cfg)
    runner.train()
    checkpoint = latest_checkpoint(run_dir)
    if checkpoint is None:
        raise StageError(f'pretraining in {run_dir} ended without a '
                         'checkpoint; rerun the same command')
    return record.finish(checkpoint)


def export(checkpoint: str, out: str) -> str:
    """The online network of ``checkpoint`` as an mmdet export at ``out``
    (made again when ``checkpoint`` changed since ``out`` was made)."""
    from .io import export_checkpoint, save_export
    work_dir, name = osp.split(osp.abspath(out))
    record = StageRecord(work_dir, f'export_{osp.splitext(name)[0]}',
                         dict(checkpoint=file_identity(checkpoint)))
    if record.result() is not None and osp.isfile(out):
        return out
    record.start()
    save_export(export_checkpoint(checkpoint), out, source_path=checkpoint)
    return record.finish(out)


def export_of(checkpoint: str, out: str) -> str:
    """``checkpoint`` itself when it is an mmdet export already, else its
    export at ``out`` (:func:`export`); an unusable file raises
    :class:`~.convert.ExportError`."""
    from .io import is_export, read_checkpoint
    if is_export(read_checkpoint(checkpoint)[1]):
        return checkpoint
    return export(checkpoint, out)


def init_cfg_for(checkpoint: str) -> dict:
    """Model overrides that initialise a detector from ``checkpoint``:
    mmsoco exports and pretraining checkpoints go through
    ``mmsoco.TransferPretrained`` (strict); any other checkpoint is taken
    as backbone weights (mmdet's ``backbone.init_cfg=Pretrained``
    convention, e.g. a supervised ImageNet ResNet); ``''`` is random
    initialisation."""
    from .errors import ExportError
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
                          seed: int = 0,
                          scale: Optional[Sequence[int]] = None,
                          say: Callable = _say) -> Dict[str, float]:
    """Fine-tune the transfer ``config`` from ``checkpoint`` ('' = random
    init) on a COCO-format train split, then evaluate on its val split with
    the config's COCO evaluator. ``coco_root``: a COCO-layout folder
    (train2017/, val2017/, annotations/) or a :class:`CocoData` (image
    folders and JSON files anywhere); the classes come from the JSON.
    ``scale`` (LONG, SHORT): the image scale of training and testing
    (:func:`~.recipes.set_image_scale`). ``options`` are merged last, so
    they may override anything. Returns the metrics (also written to
    ``work_dir/metrics.json``); a finished run with the same settings is
    reused, one with other settings replaced."""
    from mmengine.runner import Runner
    cfg = _load_cfg(config)
    cfg.merge_from_dict(dict(model=init_cfg_for(checkpoint)))
    if isinstance(coco_root, CocoData):
        set_coco_data(cfg, coco_root)
    else:
        set_coco_root(cfg, coco_root)
    if scale:
        set_image_scale(cfg, *scale)
    if options:
        cfg.merge_from_dict(dict(options))
    if iters:
        set_max_iters(cfg, iters)
    # train without the periodic validation; one evaluation at the end
    cfg.val_dataloader = cfg.val_cfg = cfg.val_evaluator = None
    cfg.randomness = dict(seed=seed)
    parent, name = osp.split(osp.abspath(work_dir))
    record = StageRecord(parent, name, dict(
        config=osp.abspath(config), checkpoint=file_identity(checkpoint),
        iters=iters, scale=list(scale) if scale else None,
        options=dict(options or {}), seed=seed,
        config_digest=config_digest(cfg)), folder=work_dir)
    out = osp.join(work_dir, 'metrics.json')
    done = record.result()
    if done is not None:
        return done
    _report(record, record.start(), say)
    _add_progress(cfg, name)
    cfg.work_dir = work_dir
    cfg.experiment_name = _run_name('finetune')
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
    return record.finish(metrics)


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
