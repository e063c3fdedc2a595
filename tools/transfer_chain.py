"""Pretrain -> export -> fine-tune Mask R-CNN -> COCO evaluation, in one go.

    python tools/transfer_chain.py [--data-root ../shared/data/coco_tiny |
        --train-images DIR --train-ann JSON --val-images DIR --val-ann JSON]
        [--pretrain-config configs/soco_r18_fpn_1xb4-12iter_demo.py]
        [--pretrain-iters N] [--pretrained CHECKPOINT]
        [--filter small_objects] [--proposal-scale S] [--proposal-min-size P]
        [--finetune-config configs/transfer/mask-rcnn_r18_fpn_soco_coco-tiny.py]
        [--finetune-iters M] [--finetune-scale LONG SHORT]
        [--compare NAME=CHECKPOINT ...] [--no-random]
        [--pretrain-cfg-options k=v ...] [--finetune-cfg-options k=v ...]
        [--work-dir work_dirs/transfer_chain]

Your own COCO-format set instead of the COCO layout (e.g. converted with
tools/dataset_converters/): ``--train-images DIR --train-ann JSON
--val-images DIR --val-ann JSON``. The class list (names, order, count) is
read from the JSON, so no --cfg-options are needed for another class list.

1. pretrains the pretraining config on the *unlabelled* images of
   --pretrain-images (default: the train images; selective-search
   proposals are computed first, with --filter / --proposal-scale /
   --proposal-min-size as in tools/generate_proposals.py);
   --pretrain-iters rescales the config's whole run as
   ``tools/train.py --iters`` does (mmsoco/engine/run_length.py);
   --pretrained CHECKPOINT skips this stage and starts from CHECKPOINT,
2. exports the online network (tools/export_weights.py's mmdet format),
3. fine-tunes the transfer config from that export, from a random
   initialisation and from each --compare checkpoint, on the train split
   (--finetune-scale LONG SHORT: the image scale, 533 320 by default; small
   objects need more),
4. evaluates each on the val split with mmdet's CocoMetric and prints a
   table of bbox / segm AP.

Defaults: a ResNet-18 FPN on coco_tiny on the CPU. The real recipe on a GPU:
``--pretrain-config configs/soco_r50_fpn.py --finetune-config
configs/transfer/mask-rcnn_r50_fpn_soco_1x_coco.py --data-root data/coco``
with ``--pretrain-iters`` / ``--finetune-iters`` 0 to keep each config's
own schedule. Every stage records its settings under --work-dir/stages/: run
again with the same settings, a finished stage is reused and an interrupted
one resumed; with other settings, the stages they touch run again (the
changed settings are named).
"""
import argparse
import os.path as osp
import sys
import time

from mmsoco.utils.coco_tiny import coco_tiny_root

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

DEFAULT_DATA = coco_tiny_root()


def parse_args(argv=None):
    from mmengine.config import DictAction

    from mmsoco.utils.cli_options import add_pretraining_options
    p = argparse.ArgumentParser(
        description='pretrain -> export -> Mask R-CNN fine-tune -> COCO AP')
    p.add_argument('--data-root', default=DEFAULT_DATA,
                   help='COCO-layout folder: train2017/, val2017/, '
                   'annotations/instances_{train,val}2017.json')
    p.add_argument('--train-images', default=None,
                   help='your own COCO-format set (instead of --data-root): '
                   'the train image folder ...')
    p.add_argument('--train-ann', default=None,
                   help='... its COCO JSON (the classes are read from it)')
    p.add_argument('--val-images', default=None,
                   help='... the val image folder')
    p.add_argument('--val-ann', default=None, help='... and its COCO JSON')
    p.add_argument('--pretrain-config', default=osp.join(
        REPO, 'configs/soco_r18_fpn_1xb4-12iter_demo.py'))
    add_pretraining_options(p, iters=200,
                            note="; 0 keeps the config's length")
    p.add_argument('--pretrained', default=None, metavar='CHECKPOINT',
                   help='skip pretraining: fine-tune from this mmsoco '
                   'pretraining checkpoint or export')
    p.add_argument('--filter', default='ratio3size0308',
                   help='proposal filter preset (tools/generate_proposals.py'
                   ' --filter), e.g. small_objects')
    p.add_argument('--proposal-scale', type=float, default=300,
                   help='selective-search scale (generate_proposals.py '
                   '--scale); smaller finds smaller regions')
    p.add_argument('--proposal-min-size', type=int, default=100,
                   help='selective-search min size in px '
                   '(generate_proposals.py --min-size)')
    p.add_argument('--pretrain-images', default=None,
                   help='unlabelled images to pretrain on (default: '
                   'DATA_ROOT/train2017)')
    p.add_argument('--finetune-config', default=osp.join(
        REPO, 'configs/transfer/mask-rcnn_r18_fpn_soco_coco-tiny.py'))
    p.add_argument('--finetune-iters', type=int, default=100,
                   help='0 keeps the config\'s own schedule')
    p.add_argument('--finetune-scale', type=int, nargs=2, default=None,
                   metavar=('LONG', 'SHORT'),
                   help='fine-tune and test images resized to fit LONG x '
                   'SHORT (the config\'s 533 320 shrinks 10-25 px objects '
                   'to 5-14 px; e.g. 1333 800 for small objects)')
    p.add_argument('--compare', nargs='*', default=[], metavar='NAME=CKPT',
                   help='more initialisations: an mmsoco export or '
                   'checkpoint, or backbone weights')
    p.add_argument('--no-random', action='store_true',
                   help='skip the random-initialisation baseline')
    p.add_argument('--pretrain-cfg-options', nargs='+', action=DictAction,
                   default={})
    p.add_argument('--finetune-cfg-options', nargs='+', action=DictAction,
                   default={})
    p.add_argument('--workers', type=int, default=1,
                   help='processes for the proposals')
    p.add_argument('--seed', type=int, default=0,
                   help='fine-tuning seed (the same for every init)')
    p.add_argument('--work-dir', default='work_dirs/transfer_chain')
    return p.parse_args(argv)


def check_args(args) -> list:
    """One-line problems with the inputs, before anything runs."""
    problems = []
    for name in ('pretrain_config', 'finetune_config'):
        path = getattr(args, name)
        if not osp.isfile(path):
            problems.append(f'--{name.replace("_", "-")} {path} not found')
    from mmsoco.transfer.coco_data import CocoData
    own = [args.train_images, args.train_ann, args.val_images, args.val_ann]
    args.data = None
    if any(own):
        if not all(own):
            problems.append('give all of --train-images, --train-ann, '
                            '--val-images and --val-ann (or --data-root for '
                            'the COCO layout)')
        else:
            args.data = CocoData(*own)
    else:
        missing = [sub for sub in (
            'train2017', 'val2017', 'annotations/instances_train2017.json',
            'annotations/instances_val2017.json')
            if not osp.exists(osp.join(args.data_root, sub))]
        for sub in missing:
            problems.append(f'--data-root {args.data_root} has no {sub} '
                            '(a COCO-layout folder is needed, or give your '
                            'own set with --train-images/--train-ann/'
                            '--val-images/--val-ann)')
        if not missing:
            args.data = CocoData.from_root(args.data_root)
    if args.data is not None:
        problems += args.data.problems()
    compare = {}
    for item in args.compare:
        name, sep, path = item.partition('=')
        if not sep or not name or not path:
            problems.append(f'--compare {item!r}: write NAME=CHECKPOINT')
        elif not osp.isfile(path):
            problems.append(f'--compare {name}: {path} not found')
        elif name in ('mmsoco', 'random') or name in compare:
            problems.append(f'--compare name {name!r} is taken')
        compare[name] = path
    args.compare = compare
    if args.pretrained and not osp.isfile(args.pretrained):
        problems.append(f'--pretrained {args.pretrained} not found')
    from mmsoco.proposals import FILTERS
    if args.filter not in FILTERS:
        problems.append(f'--filter {args.filter!r} is not a proposal filter;'
                        f' choose one of {", ".join(sorted(FILTERS))}')
    if args.proposal_scale <= 0 or args.proposal_min_size < 0:
        problems.append('--proposal-scale must be > 0 and '
                        '--proposal-min-size >= 0')
    if args.finetune_scale and min(args.finetune_scale) < 1:
        problems.append('--finetune-scale LONG SHORT must be at least 1 px')
    if args.pretrain_iters < 0 or args.finetune_iters < 0:
        problems.append('--pretrain-iters / --finetune-iters must be >= 0')
    return problems


def stage(msg: str) -> float:
    print(f'\n[chain] {msg}', flush=True)
    return time.time()


def pretrained_checkpoint(args, images: str, work: str) -> str:
    """Stage 1: the checkpoint to fine-tune from."""
    from mmsoco.transfer import chain
    if args.pretrained:
        stage(f'1/4 pretrain: skipped, starting from {args.pretrained}')
        return args.pretrained
    t = stage(f'1/4 pretrain {osp.basename(args.pretrain_config)} on '
              f'{images} ({args.pretrain_iters or "config"} iterations, '
              f'proposal filter {args.filter})')
    ckpt = chain.pretrain(args.pretrain_config, images, work,
                          args.pretrain_iters or None,
                          args.pretrain_cfg_options, args.workers,
                          args.filter, args.proposal_scale,
                          args.proposal_min_size)
    print(f'[chain] pretrained: {ckpt} ({time.time() - t:.0f} s)')
    return ckpt


def main(argv=None) -> int:
    from mmsoco.utils.threads import passive_wait
    passive_wait()  # first: before anything loads torch (utils/threads.py)
    args = parse_args(argv)
    problems = check_args(args)
    if problems:
        for p in problems:
            print(f'error: {p}', file=sys.stderr)
        return 2
    import mmsoco  # noqa: F401  (compat patches, registries)
    from mmsoco.transfer import ExportError, StageError
    from mmsoco.utils.checkpoint_load import CheckpointFileError
    try:
        return run(args)
    except (ExportError, StageError, CheckpointFileError) as e:
        print(f'error: {str(e).splitlines()[0]}', file=sys.stderr)
        return 2


def run(args) -> int:
    """The four stages (the arguments are checked)."""
    from mmsoco.transfer import chain
    work = osp.abspath(args.work_dir)
    data = args.data
    images = args.pretrain_images or data.train_images
    print(f'[chain] {len(data.classes())} classes from {data.train_ann}: '
          f'{", ".join(data.classes()[:10])}'
          f'{" ..." if len(data.classes()) > 10 else ""}')

    ckpt = pretrained_checkpoint(args, images, work)
    stage('2/4 export the online network')
    out = osp.join(work, 'pretrained' if args.pretrained else 'pretrain',
                   'mmdet.pth')
    exported = chain.export_of(ckpt, out)
    print(f'[chain] exported: {exported}')

    inits = {'mmsoco': exported}
    if not args.no_random:
        inits['random'] = ''
    inits.update(args.compare)
    results = {}
    scale = args.finetune_scale
    for i, (name, path) in enumerate(inits.items(), 1):
        t = stage(f'3/4 fine-tune {osp.basename(args.finetune_config)} '
                  f'from {name} ({i}/{len(inits)}, '
                  f'{args.finetune_iters or "config"} iterations'
                  f'{f", scale {scale[0]}x{scale[1]}" if scale else ""})')
        results[name] = chain.finetune_and_evaluate(
            args.finetune_config, data, path,
            osp.join(work, f'finetune_{name}'), args.finetune_iters or None,
            args.finetune_cfg_options, seed=args.seed, scale=scale)
        print(f'[chain] {name}: bbox mAP {results[name]["bbox_mAP"]:.3f}, '
              f'segm mAP {results[name]["segm_mAP"]:.3f} '
              f'({time.time() - t:.0f} s)')

    stage(f'4/4 COCO AP (%) on {data.val_images}')
    print(chain.format_table(results))
    return 0


if __name__ == '__main__':
    from mmsoco.utils.interrupt import exit_on_interrupt
    with exit_on_interrupt('finished stages are kept; rerun the same command '
                           'to reuse them and resume the interrupted one '
                           'from its last checkpoint'):
        sys.exit(main())
