"""Small pure edits of transfer configs used by the tools and tests."""
import os.path as osp


def set_coco_root(cfg, root: str) -> None:
    """Point train/val/test data and the COCO evaluators at ``root``
    (a folder with train2017/, val2017/, annotations/)."""
    root = osp.join(osp.abspath(root), '')
    ann = osp.join(root, 'annotations', 'instances_val2017.json')
    if not osp.isfile(ann):
        raise FileNotFoundError(f'{ann} not found: the data root must hold '
                                'train2017/, val2017/ and annotations/')
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        if cfg.get(name):
            cfg[name].dataset.data_root = root
    for name in ('val_evaluator', 'test_evaluator'):
        if cfg.get(name):
            cfg[name].ann_file = ann


def set_max_iters(cfg, iters: int) -> None:
    """Iteration-based run of ``iters`` with the LR step at 3/4 and one
    validation at the end (configs/transfer/*coco-tiny.py layout)."""
    cfg.train_cfg.max_iters = iters
    cfg.train_cfg.val_interval = iters
    warmup = min(20, max(1, iters // 5))
    cfg.param_scheduler = [
        dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
             end=warmup),
        dict(type='MultiStepLR', by_epoch=False, begin=0, end=iters,
             milestones=[max(warmup, int(iters * 0.75))], gamma=0.1)
    ]
    cfg.default_hooks.checkpoint.interval = iters
