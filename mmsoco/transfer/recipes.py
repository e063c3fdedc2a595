"""Small pure edits of transfer configs used by the tools and tests."""
import os.path as osp

from mmsoco.engine.run_length import set_run_length
from .coco_data import CocoData


def set_coco_root(cfg, root: str) -> None:
    """Point train/val/test data and the COCO evaluators at ``root``
    (a folder with train2017/, val2017/, annotations/); the classes are
    read from its JSON (see :func:`set_coco_data`)."""
    data = CocoData.from_root(osp.join(osp.abspath(root), ''))
    if not osp.isfile(data.val_ann):
        raise FileNotFoundError(f'{data.val_ann} not found: the data root '
                                'must hold train2017/, val2017/ and '
                                'annotations/')
    set_coco_data(cfg, data)


def _inner_dataset(ds):
    # RepeatDataset / ClassBalancedDataset wrap the COCO dataset
    while ds.get('dataset') is not None and 'ann_file' not in ds:
        ds = ds.dataset
    return ds


def set_coco_data(cfg, data: CocoData) -> None:
    """Train on ``data``'s train split, validate and test on its val split:
    image folders, annotation files, ``metainfo.classes`` (read from the
    train JSON) on every dataset, the evaluators' ``ann_file`` and the
    model heads' ``num_classes``. The COCO layout keeps mmdet's relative
    form (``data_root`` + ``annotations/...`` + ``train2017/``)."""
    classes = tuple(data.classes())
    root = osp.join(osp.abspath(data.root), '') if data.root else ''
    for name, split in (('train_dataloader', 'train'),
                        ('val_dataloader', 'val'),
                        ('test_dataloader', 'val')):
        if not cfg.get(name):
            continue
        images, ann = data.split(split)
        ds = _inner_dataset(cfg[name].dataset)
        if root:
            ann = osp.relpath(osp.abspath(ann), root)
            images = osp.relpath(osp.abspath(images), root)
        ds.data_root = root
        ds.ann_file = ann if root else osp.abspath(ann)
        ds.data_prefix = dict(img=osp.join(images if root else
                                           osp.abspath(images), ''))
        ds.metainfo = dict(classes=classes)
    for name in ('val_evaluator', 'test_evaluator'):
        evaluators = cfg.get(name)
        if not evaluators:
            continue
        for ev in (evaluators if isinstance(evaluators, list)
                   else [evaluators]):
            ev.ann_file = osp.abspath(data.val_ann)
    set_num_classes(cfg.model, len(classes))


def set_num_classes(model: dict, num_classes: int) -> None:
    """Every ``num_classes`` of the model config (box and mask heads,
    cascade stages, one-stage heads) becomes ``num_classes``; the RPN's
    one objectness class is left alone."""
    if isinstance(model, list):
        for m in model:
            set_num_classes(m, num_classes)
        return
    if not isinstance(model, dict):
        return
    for key, value in model.items():
        if key == 'num_classes':
            model[key] = num_classes
        elif key != 'rpn_head' and isinstance(value, (dict, list)):
            set_num_classes(value, num_classes)


def set_max_iters(cfg, iters: int) -> None:
    """An iteration-based run of ``iters``: the config's whole run (loop,
    LR schedule, validation, checkpoint and log intervals) rescaled by
    :func:`mmsoco.engine.run_length.set_run_length`, so the schedule keeps
    the shares the config wrote (configs/transfer/*coco-tiny.py: a 10%
    warm-up, the LR step at 3/4, one validation and one save at the end)."""
    set_run_length(cfg, iters=iters)


def set_image_scale(cfg, long: int, short: int) -> None:
    """Images resized to fit ``long`` x ``short`` (keeping their ratio) in
    training and testing: the test ``Resize`` becomes (long, short); the
    training ``RandomChoiceResize`` scales keep their spread, the largest
    becoming (long, short) (e.g. 533x256..320 -> 1333x640..800). Small
    objects need a larger scale than the CPU configs' 533x320."""
    if long < 1 or short < 1:
        raise ValueError(f'image scale {long}x{short}: both sides must be '
                         'at least 1 px')
    found = False
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if not loader:
            continue
        for t in _inner_dataset(loader.dataset).get('pipeline') or []:
            if t.get('type') == 'Resize':
                t['scale'] = (long, short)
                found = True
            elif t.get('type') == 'RandomChoiceResize':
                top = max(s[1] for s in t['scales'])
                t['scales'] = [(long, round(s[1] * short / top))
                               for s in t['scales']]
                found = True
    if not found:
        raise ValueError('the config\'s pipelines have no Resize or '
                         'RandomChoiceResize whose scale could be set')
