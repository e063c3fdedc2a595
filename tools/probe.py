"""Box k-NN probe of a pretrained (or randomly initialised) network.

    python tools/probe.py CHECKPOINT|CONFIG --ann COCO.json --images DIR
        [--bank-ann COCO.json --bank-images DIR] [--random] [--seed S]
        [--classes NAME ...] [--k 20] [--temperature 0.07] [--device cpu]

CHECKPOINT: an mmsoco pretraining checkpoint (SoCo, SoCo*, SoCo-C4, InsLoc,
InsLoc-C4) or its export (tools/export_weights.py). CONFIG with --random:
that model at random initialisation (seed --seed).

The network is frozen (eval-mode BN). Every ground-truth box of the
annotation files (crowd and boxes under --min-size px left out) becomes a
feature vector: RoIAlign at its FPN level through the pretrained 4conv1fc
head (``head``) and the backbone's C5 averaged in the box (``c5``); C4
models: RoIAlign on C4 -> res5 -> average pool (``head``). --stages adds
the box's FPN features before the head (``fpn``) and C4, C3, C2, each
averaged in the box (FPN models): where a change comes from. The bank boxes
(--bank-ann) classify the query boxes (--ann) by a weighted k-NN (cosine,
k, weights exp(cos / T)); without a bank, leave-one-out on the query set.
Prints top-1 accuracy, mean per-class accuracy (classes with >= 5 query
boxes) and the mean cosine between query boxes (near 1 = collapsed); the
last line is a one-line summary. While the boxes are embedded, a progress
line (images done, time per image, ETA) goes to stderr every 10 s. See
docs/probe.md.

Few-label mode (--shots, needs a bank): N labelled bank boxes per class
(0 = all), drawn --draws times (the same draws for every network probed
with the same --draw-seed), classify the query boxes by the weighted k-NN
and by a logistic regression; prints mean and spread per feature,
classifier and N, and --out writes every draw's accuracy (JSON).
--recompute-bn: BN statistics recomputed on the bank images first (for
random initialisation). See docs/mini_world.md.
"""
import argparse
import json
import os.path as osp
import sys


def parse_args(argv=None):
    p = argparse.ArgumentParser(
        description='box k-NN probe of a pretrained network')
    p.add_argument('model', help='checkpoint, export, or config (--random)')
    p.add_argument('--ann', required=True, help='query COCO annotations')
    p.add_argument('--images', required=True, help='query image folder')
    p.add_argument('--bank-ann', help='bank COCO annotations')
    p.add_argument('--bank-images', help='bank image folder')
    p.add_argument('--random', action='store_true',
                   help='MODEL is a config: probe its random initialisation')
    p.add_argument('--seed', type=int, default=0,
                   help='initialisation seed with --random')
    p.add_argument('--classes', nargs='+', default=None,
                   help='category names to probe (default: all)')
    p.add_argument('--min-size', type=float, default=8.,
                   help='leave out boxes with sqrt(w h) below this (px)')
    p.add_argument('--scale', type=int, nargs=2, default=[533, 320],
                   metavar=('LONG', 'SHORT'),
                   help='resize images to fit LONG x SHORT (keep ratio)')
    p.add_argument('--k', type=int, default=20)
    p.add_argument('--temperature', type=float, default=0.07)
    p.add_argument('--min-per-class', type=int, default=5,
                   help='query boxes a class needs for the mean accuracy')
    p.add_argument('--device', default='cpu')
    p.add_argument('--json', action='store_true',
                   help='also print the metrics as one JSON line')
    p.add_argument('--shots', type=int, nargs='+', default=None,
                   help='few-label mode: labelled bank boxes per class '
                   '(0 = all), e.g. 1 5 10 0')
    p.add_argument('--draws', type=int, default=10,
                   help='label draws per --shots value')
    p.add_argument('--draw-seed', type=int, default=0)
    p.add_argument('--recompute-bn', action='store_true',
                   help='recompute BN statistics on the bank images first')
    p.add_argument('--stages', action='store_true',
                   help='also probe the FPN features before the head (fpn) '
                   'and C4, C3, C2, each averaged in the box (FPN models)')
    p.add_argument('--out', help='few-label mode: write every draw (JSON)')
    return p.parse_args(argv)


def main(argv=None) -> int:
    from mmsoco.utils.threads import passive_wait
    passive_wait()  # first: before anything loads torch (utils/threads.py)
    args = parse_args(argv)
    if (args.bank_ann is None) != (args.bank_images is None):
        print('error: --bank-ann and --bank-images go together',
              file=sys.stderr)
        return 2
    if (args.shots or args.recompute_bn) and args.bank_ann is None:
        print('error: --shots and --recompute-bn need a bank (--bank-ann, '
              '--bank-images)', file=sys.stderr)
        return 2

    import mmsoco  # noqa: F401  (compat patches, registries)
    from mmengine.registry import init_default_scope

    from mmsoco.datasets.errors import (DatasetConfigError,
                                        dataset_error_message)
    from mmsoco.evaluation import (BoxProbeDataset, ProbeInputError,
                                   load_probe_net, run_probe, summary_line)
    from mmsoco.utils.threads import ThreadSettingError, apply_policy
    init_default_scope('mmsoco')
    try:
        apply_policy(processes=1)  # one process: every core it may use
        dataset = BoxProbeDataset(
            args.ann, args.images, bank_ann_file=args.bank_ann,
            bank_img_dir=args.bank_images, classes=args.classes,
            min_size=args.min_size, scale=args.scale)
        net = load_probe_net(args.model, args.random, args.seed,
                             args.device, args.stages)
    except DatasetConfigError as e:
        print(f'error: {dataset_error_message(e)}', file=sys.stderr)
        return 2
    except (ProbeInputError, ThreadSettingError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    if args.recompute_bn:
        from mmsoco.evaluation import recompute_bn_statistics
        used = recompute_bn_statistics(net, dataset, 'bank')
        print(f'BN statistics recomputed on {used} bank images')
    if args.shots:
        return few_label(args, net, dataset)
    metrics = run_probe(net, dataset, args.k, args.temperature,
                        args.min_per_class)
    for key, value in metrics.items():
        print(f'{key:>16}: {value:.4f}')
    if args.json:
        print(json.dumps(metrics, sort_keys=True))
    name = f'{osp.basename(args.model)}{" random" if args.random else ""}'
    print(summary_line(metrics, name))
    return 0


def few_label(args, net, dataset) -> int:
    import numpy as np

    from mmsoco.evaluation import box_features, few_label_accuracies
    from mmsoco.utils.atomic import atomic_write
    feats = box_features(net, dataset)
    rows = few_label_accuracies(
        feats, args.shots, args.draws, args.draw_seed, k=args.k,
        temperature=args.temperature,
        num_classes=len(dataset.metainfo['classes']))
    groups = {}
    for r in rows:
        groups.setdefault((r['feature'], r['classifier'], r['shots']),
                          []).append(r['top1'])
    for (feat, clf, n), accs in groups.items():
        print(f'{feat:>5} {clf:>6} {n or "all":>4} labels/class: top1 '
              f'{np.mean(accs):.4f} +- {np.std(accs):.4f} '
              f'({len(accs)} draws)')
    from mmsoco.evaluation import mean_pairwise_cosine
    cos = {name: mean_pairwise_cosine(f)
           for name, f in feats['query']['feats'].items()}
    print('mean cosine between query boxes (near 1 = collapsed): '
          + ', '.join(f'{n} {c:.3f}' for n, c in cos.items()))
    if args.out:
        atomic_write(args.out, json.dumps(dict(
            mean_cos=cos,
            model=args.model, random=args.random, seed=args.seed,
            recompute_bn=args.recompute_bn,
            num_bank=len(feats['bank']['labels']),
            num_query=len(feats['query']['labels']), rows=rows)))
    return 0


if __name__ == '__main__':
    from mmsoco.utils.interrupt import exit_on_interrupt
    with exit_on_interrupt('nothing was written; rerun the same command'):
        sys.exit(main())
