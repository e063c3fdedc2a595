"""Low-label transfer: a small detector fine-tuned from random
initialisation and from mmsoco pretraining, over several seeds.

    python benchmarks/transfer_low_label.py [--data-root DIR]
        [--pretrained CKPT | --pretrain-iters N] [--seeds 0 1 2]
        [--finetune-iters N] [--classes NAME ... | --all-classes]
        [--arch r18|r50] [--device cpu|cuda] [--work-dir DIR]

Built on the transfer chain (mmsoco/transfer/chain.py): SoCo pretraining on
the *unlabelled* DATA_ROOT/train2017 images (or --pretrained, any mmsoco
checkpoint or export, e.g. the one benchmarks/probe.py leaves), export, then
Faster R-CNN (the chain's Mask R-CNN config without its mask branch) with a
ResNet-18 FPN at ~320 px fine-tuned on the labelled train2017 boxes of a few
frequent classes (default: person, car, chair) from the export
and from random initialisation, once per seed, and evaluated on val2017
(COCO box AP over those classes; the score threshold is 0 so that short
runs still give AP). Prints per-seed AP / AP50 and mean +- std (sample std,
n - 1) per initialisation, with the machine load. Every run is reused when
the command is run again (work_dir/finetune_<init>[-<file id>]_seed<S>/
metrics.json; the file id keeps runs from different pretrained files
apart).

GPU / larger settings: --device cuda --arch r50 --all-classes
--pretrain-iters 2000 --finetune-iters 2000 --rois 512
--test-proposals 1000.
"""
import argparse
import os
import os.path as osp
import statistics
import sys
import time

from mmsoco.utils.cli_options import add_pretraining_options
from mmsoco.utils.coco_tiny import coco_tiny_root, missing_coco_layout

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

DEFAULT_DATA = coco_tiny_root()
FINETUNE = osp.join(REPO, 'configs', 'transfer',
                    'mask-rcnn_r18_fpn_soco_coco-tiny.py')
PRETRAIN = dict(
    r18=osp.join(REPO, 'configs', 'soco_r18_fpn_1xb4-12iter_demo.py'),
    r50=osp.join(REPO, 'configs', 'soco_r50_fpn.py'))
# the classes with the most boxes in both coco_tiny splits (train / val):
# person 140 / 209, car 47 / 25, chair 26 / 48
FREQUENT = ['person', 'car', 'chair']
# the fine-tuning settings an option sets as it is: the option -> (the
# config key, the default, the help). CPU-sized RoI work (the 4conv1fc head
# dominates the cost): 128 sampled RoIs per training image, 100 proposals
# per test image
SETTINGS = {
    'lr': ('optim_wrapper.optimizer.lr', 0.01,
           'fine-tuning LR at batch 2 (the chain config: 0.0025, too slow '
           'for 100 iterations)'),
    'rois': ('model.train_cfg.rcnn.sampler.num', 128,
             'RoIs sampled per training image (mmdet: 512)'),
    'test-proposals': ('model.test_cfg.rpn.max_per_img', 100,
                       'RPN proposals per test image (chain config: 300)'),
}


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data-root', default=DEFAULT_DATA)
    p.add_argument('--pretrained', default=None,
                   help='mmsoco checkpoint / export to fine-tune from '
                   '(default: pretrain --pretrain-iters here)')
    add_pretraining_options(p, iters=300, batch=8,
                            note="; 0 keeps the config's length")
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2])
    p.add_argument('--finetune-iters', type=int, default=100)
    p.add_argument('--classes', nargs='+', default=FREQUENT)
    p.add_argument('--all-classes', action='store_true',
                   help='every COCO class instead of --classes')
    for name, (_, default, text) in SETTINGS.items():
        p.add_argument(f'--{name}', type=type(default), default=default,
                       help=text)
    p.add_argument('--scale', type=int, default=320,
                   help='short side of the test images (training: '
                   '0.8-1x of it)')
    p.add_argument('--arch', default='r18', choices=sorted(PRETRAIN))
    p.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    p.add_argument('--inits', nargs='+', default=['random', 'mmsoco'],
                   choices=['random', 'mmsoco'])
    p.add_argument('--work-dir', default='work_dirs/bench_transfer')
    return p.parse_args(argv)


def finetune_options(args) -> dict:
    """The chain's Mask R-CNN R18-FPN config -> Faster R-CNN (no mask
    branch) on ``args.classes`` at ``args.scale``, R50-FPN with --arch r50;
    cfg-options for ``chain.finetune_and_evaluate``."""
    s = args.scale
    long = s * 5 // 3
    train = [dict(type='LoadImageFromFile'),
             dict(type='LoadAnnotations', with_bbox=True),
             dict(type='RandomChoiceResize', keep_ratio=True,
                  scales=[(long, int(s * f)) for f in (0.8, 0.9, 1.0)]),
             dict(type='RandomFlip', prob=0.5),
             dict(type='PackDetInputs')]
    test = [dict(type='LoadImageFromFile'),
            dict(type='Resize', scale=(long, s), keep_ratio=True),
            dict(type='LoadAnnotations', with_bbox=True),
            dict(type='PackDetInputs',
                 meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                            'scale_factor'))]
    opts = {
        'model.roi_head.mask_head': None,
        'model.roi_head.mask_roi_extractor': None,
        'model.test_cfg.rcnn.score_thr': 0.0,
        'train_dataloader.dataset.pipeline': train,
        'test_dataloader.dataset.pipeline': test,
        'test_evaluator.metric': 'bbox',
    }
    opts.update({key: getattr(args, name.replace('-', '_'))
                 for name, (key, _, _) in SETTINGS.items()})
    if not args.all_classes:
        meta = dict(classes=tuple(args.classes))
        opts.update({'model.roi_head.bbox_head.num_classes':
                     len(args.classes),
                     'train_dataloader.dataset.metainfo': meta,
                     'test_dataloader.dataset.metainfo': meta})
    if args.arch == 'r50':
        opts.update({
            'model.backbone.depth': 50,
            'model.neck.in_channels': [256, 512, 1024, 2048],
            'model.neck.out_channels': 256,
            'model.rpn_head.in_channels': 256,
            'model.rpn_head.feat_channels': 256,
            'model.roi_head.bbox_roi_extractor.out_channels': 256,
            'model.roi_head.bbox_head.in_channels': 256,
            'model.roi_head.bbox_head.conv_out_channels': 256,
            'model.roi_head.bbox_head.fc_out_channels': 1024})
    return opts


def pretrained_export(args) -> str:
    from mmsoco.transfer import chain
    work = args.work_dir
    if args.pretrained:
        ckpt = args.pretrained
    else:
        images = osp.join(args.data_root, 'train2017')
        ckpt = chain.pretrain(
            PRETRAIN[args.arch], images, work, args.pretrain_iters,
            {'train_dataloader.batch_size': args.pretrain_batch,
             'train_dataloader.num_workers': 1})
    from mmsoco.transfer import ExportError
    from mmsoco.transfer.io import is_export, read_checkpoint
    try:
        if is_export(read_checkpoint(ckpt)[1]):
            return ckpt  # an export already
        return chain.export(ckpt, osp.join(work, f'export_{tag(ckpt)}.pth'))
    except ExportError as e:
        raise SystemExit(f'error: --pretrained: {e}') from None


def tag(path: str) -> str:
    """Short id of a file (path, size, mtime): results made from another
    pretrained file are never reused for this one."""
    import hashlib
    st = os.stat(path)
    key = f'{osp.abspath(path)}:{st.st_size}:{st.st_mtime_ns}'
    return hashlib.sha1(key.encode()).hexdigest()[:8]


def work_dir_settings(args) -> dict:
    """The fine-tuning settings whose results a work dir holds."""
    return {k: getattr(args, k) for k in (
        'classes', 'all_classes', 'finetune_iters', 'scale', 'arch', 'rois',
        'test_proposals', 'lr')}


def summarise(results: dict) -> str:
    lines = ['| init | seeds | box AP (%) mean ± std | AP50 (%) mean ± std '
             '| AP per seed | AP50 per seed |', '|---|---|---|---|---|---|']
    for init, per_seed in results.items():
        ap = [100 * m['bbox_mAP'] for m in per_seed.values()]
        ap50 = [100 * m['bbox_mAP_50'] for m in per_seed.values()]

        def ms(v):
            sd = statistics.stdev(v) if len(v) > 1 else float('nan')
            return f'{statistics.mean(v):.2f} ± {sd:.2f}'

        lines.append(
            f'| {init} | {",".join(map(str, per_seed))} | {ms(ap)} | '
            f'{ms(ap50)} | {" / ".join(f"{v:.2f}" for v in ap)} | '
            f'{" / ".join(f"{v:.2f}" for v in ap50)} |')
    return '\n'.join(lines)


def main(argv=None) -> int:
    args = parse_args(argv)
    missing = missing_coco_layout(args.data_root)
    if missing:
        print(f'error: --data-root {args.data_root} has no {missing[0]}',
              file=sys.stderr)
        return 2
    if args.pretrained and not osp.isfile(args.pretrained):
        print(f'error: --pretrained {args.pretrained}: no such file',
              file=sys.stderr)
        return 2
    import torch

    import mmsoco  # noqa: F401
    from mmsoco.transfer import chain
    if args.device == 'cuda' and not torch.cuda.is_available():
        print('error: --device cuda: no CUDA device here', file=sys.stderr)
        return 2
    args.work_dir = osp.abspath(args.work_dir)
    load0, t0 = os.getloadavg(), time.time()
    inits = {}
    if 'mmsoco' in args.inits:
        inits['mmsoco'] = pretrained_export(args)
        print(f'[bench] pretrained export: {inits["mmsoco"]} '
              f'({(time.time() - t0) / 60:.1f} min)', flush=True)
    if 'random' in args.inits:
        inits['random'] = ''
    from mmsoco.utils.work_dir_settings import settings_mismatch
    problem = settings_mismatch(args.work_dir, work_dir_settings(args))
    if problem:
        print(f'error: {problem}', file=sys.stderr)
        return 2
    opts = finetune_options(args)
    if args.device == 'cpu':
        opts['env_cfg.cudnn_benchmark'] = False
    results = {name: {} for name in inits}
    for seed in args.seeds:
        for name, ckpt in inits.items():
            t = time.time()
            run = name if not ckpt else f'{name}-{tag(ckpt)}'
            m = chain.finetune_and_evaluate(
                FINETUNE, args.data_root, ckpt,
                osp.join(args.work_dir, f'finetune_{run}_seed{seed}'),
                args.finetune_iters, opts, seed=seed)
            results[name][seed] = m
            print(f'[bench] {name} seed {seed}: box AP '
                  f'{100 * m["bbox_mAP"]:.2f}, AP50 '
                  f'{100 * m["bbox_mAP_50"]:.2f} ({time.time() - t:.0f} s)',
                  flush=True)
    load1 = os.getloadavg()
    classes = 'all classes' if args.all_classes else ', '.join(args.classes)
    print()
    print(summarise(results))
    print(f'\nFaster R-CNN {args.arch.upper()}-FPN, {args.finetune_iters} '
          f'fine-tuning iterations (batch 2, LR {args.lr:g}) at '
          f'{args.scale} px on '
          f'{classes}; pretraining: {args.pretrained or args.pretrain_iters}'
          f'; device {args.device}')
    print(f'machine: {os.cpu_count()} cores, load average (1/5/15 min) at '
          f'start {load0[0]:.1f}/{load0[1]:.1f}/{load0[2]:.1f}, at end '
          f'{load1[0]:.1f}/{load1[1]:.1f}/{load1[2]:.1f}; '
          f'{(time.time() - t0) / 60:.1f} min')
    return 0


if __name__ == '__main__':
    sys.exit(main())
