"""Does pretraining teach? SoCo and InsLoc against random initialisation on
the mini detection world (docs/mini_world.md), the project's tools end to
end: the world (tools/make_mini_world.py, or --world DIR); per algorithm
and seed SoCo's proposals, tools/train.py configs/<algo>_r18_fpn_mini-world.py
--iters N (checkpoints at each quarter) and tools/export_weights.py; the
frozen few-label box probe of each export and of random init with BN
recomputed (tools/probe.py --shots 1 5 10 0: k-NN and logistic regression
on the head's and C5's features, --draws label draws); Faster R-CNN
fine-tuned from the last export and from random init
(benchmarks/mini_world_detection.py: AP50 at 4 points, area under the
curve); paired bootstrap 95 % CIs of pretrained minus random.

--quick: SoCo only, one seed, the probe only. Finished steps are reused
when the command is run again (interrupt and rerun); a work dir holds one
set of settings. The last line: ``mini-world: soco probe@5 +X (95% CI
lo..hi), linear@5 ..., detection AUC +Y (lo..hi); insloc ...``: the top-1
of the k-NN (probe@5, the headline) and of the logistic regression
(linear@5) on the head's features with 5 labels per class, in points;
with one seed the detection AUC has no CI (one paired difference).
"""
import argparse
import importlib.util
import json
import os
import os.path as osp
import sys
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIGS = dict(soco='configs/soco_r18_fpn_mini-world.py',
               insloc='configs/insloc_r18_fpn_mini-world.py')
# selective search for 128 px images of 12-64 px objects: SoCo's defaults
# (scale 300, segments >= 100 px, boxes 0.3-0.8 of the image side) find
# 19 % of the world's objects at IoU 0.5, these settings 82 %
# (docs/mini_world.md, proposals)
PROPOSAL_OPTIONS = ('--filter', 'small_objects', '--scale', '100',
                    '--min-size', '20')
SHOTS = (1, 5, 10, 0)
# the headline (fixed before any result) and the linear probe beside it
SETTINGS = {'probe@5': dict(feature='head', classifier='knn', shots=5),
            'linear@5': dict(feature='head', classifier='logreg', shots=5)}


def parse_args(argv=None):
    from mmsoco.utils.cli_options import add_pretraining_options
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--quick', action='store_true',
                   help='SoCo only, one pretraining seed, the probe only')
    p.add_argument('--world', help='a world made by tools/make_mini_world.py '
                   '(default: made in WORK_DIR/world)')
    p.add_argument('--work-dir', default='work_dirs/mini_world')
    p.add_argument('--algos', nargs='+', default=['soco', 'insloc'],
                   choices=sorted(CONFIGS))
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2],
                   help='pretraining (and random-init) seeds')
    add_pretraining_options(p, iters=300, batch=16, prefix='',
                            note=' (about 4 CPU-seconds an iteration for '
                            'SoCo at batch 16)')
    p.add_argument('--lr-factor', type=float, default=1.0,
                   help="the pretraining LR times this (default 1: the "
                   "recipe's rule, LR per 256 images x batch / 256)")
    p.add_argument('--draws', type=int, default=10, help='label draws')
    p.add_argument('--probe-only', action='store_true',
                   help='skip the few-label detection part')
    p.add_argument('--det-iters', type=int, default=400,
                   help='detection fine-tuning iterations')
    p.add_argument('--world-images', type=int, nargs=3,
                   default=[2000, 300, 300],
                   metavar=('UNLABELED', 'TRAIN', 'VAL'),
                   help='world size when the world is made here')
    p.add_argument('--workers', type=int, default=1,
                   help='data loader workers per pretraining run')
    p.add_argument('--device', default='cpu')
    args = p.parse_args(argv)
    if not args.lr_factor > 0:  # nan too
        p.error(f'--lr-factor must be > 0, got {args.lr_factor}')
    if args.quick:
        args.algos, args.seeds = ['soco'], args.seeds[:1]
    return args


def _tool(name):
    return [sys.executable, osp.join(REPO, 'tools', name)]


def _read(path):
    with open(path) as f:
        return json.load(f)


def make_world(args, clock, env) -> str:
    if args.world:
        if not osp.isfile(osp.join(args.world, 'world.json')):
            raise SystemExit(f'error: --world {args.world} has no world.json;'
                             ' make one with tools/make_mini_world.py')
        return osp.abspath(args.world)
    world = osp.join(args.work_dir, 'world')
    if not osp.isfile(osp.join(world, 'world.json')):
        u, t, v = args.world_images
        clock.run('world', _tool('make_mini_world.py') + [
            world, '--seed', '0', '--images', str(u), '--train', str(t),
            '--val', str(v)], env)
    return world


def pretrain(args, clock, env, world, algo, seed) -> list:
    """Exports of the run's 4 checkpoints: [(iteration, path)]."""
    run = osp.join(args.work_dir, f'{algo}_seed{seed}')
    done = osp.join(run, 'exports.json')
    if osp.isfile(done):
        return _read(done)
    opts = [f'randomness.seed={seed}',
            f'train_dataloader.batch_size={args.batch}',
            f'train_dataloader.num_workers={args.workers}',
            f'train_dataloader.persistent_workers={args.workers > 0}',
            f'train_dataloader.dataset.data_root={world}/unlabeled']
    if args.lr_factor != 1:
        from mmengine.config import Config
        lr = Config.fromfile(osp.join(REPO, CONFIGS[algo])).optim_wrapper
        opts.append(f'optim_wrapper.optimizer.lr='
                    f'{lr.optimizer.lr * args.lr_factor:g}')
    if algo == 'soco':
        store = osp.join(args.work_dir, 'proposals')
        if not osp.isfile(osp.join(store, 'meta.json')):
            clock.run('proposals', _tool('generate_proposals.py') + [
                osp.join(world, 'unlabeled'), store, '--workers', '2',
                *PROPOSAL_OPTIONS], env)
        opts.append(f'train_dataloader.dataset.proposals={store}')
    clock.run(f'{algo} seed {seed} pretraining', _tool('train.py') + [
        osp.join(REPO, CONFIGS[algo]), '--work-dir', run, '--iters',
        str(args.iters), '--resume', '--cfg-options'] + opts, env)
    exports = []
    for name in sorted(os.listdir(run)):
        if name.startswith('iter_') and name.endswith('.pth'):
            it = int(name[5:-4])
            out = osp.join(run, f'export_iter_{it}.pth')
            if not osp.isfile(out):
                clock.run(f'{algo} seed {seed} export {it}',
                          _tool('export_weights.py') + [
                              osp.join(run, name), out], env)
            exports.append((it, out))
    exports.sort()
    from mmsoco.utils.atomic import atomic_write
    atomic_write(done, json.dumps(exports))
    return exports


def probe(args, clock, env, world, model, out, random_seed=None) -> dict:
    if not osp.isfile(out):
        ann = osp.join(world, 'annotations')
        size = str(_read(osp.join(world, 'world.json'))['image_size'])
        cmd = _tool('probe.py') + [
            model, '--ann', osp.join(ann, 'val.json'), '--images',
            osp.join(world, 'val'), '--bank-ann', osp.join(ann, 'train.json'),
            '--bank-images', osp.join(world, 'train'), '--scale', size, size,
            '--shots', *map(str, SHOTS), '--draws', str(args.draws),
            '--device', args.device, '--out', out]
        if random_seed is not None:
            cmd += ['--random', '--seed', str(random_seed), '--recompute-bn']
        clock.run(f'probe {osp.basename(out)[:-5]}', cmd, env)
    return _read(out)


def _detection_module():
    """benchmarks/mini_world_detection.py (a script beside this one)."""
    path = osp.join(osp.dirname(osp.abspath(__file__)),
                    'mini_world_detection.py')
    spec = importlib.util.spec_from_file_location('mini_world_detection',
                                                  path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def detection(args, det, world, name, init, seed) -> dict:
    out = osp.join(args.work_dir, f'det_{name}_seed{seed}.json')
    if osp.isfile(out):
        return _read(out)
    d = args.det_iters
    print(f'[mini-world] detection {name} seed {seed}', flush=True)
    curve = det.finetune_curve(
        world, init, seed, osp.join(args.work_dir, f'det_{name}_seed{seed}'),
        d, [d // 4, d // 2, 3 * d // 4, d], device=args.device)
    from mmsoco.utils.atomic import atomic_write
    atomic_write(out, json.dumps(curve))
    return curve


def main(argv=None) -> int:
    from mmsoco.utils.threads import passive_wait
    passive_wait()  # first: detection trains in this process
    import numpy as np

    from mmsoco.evaluation.probe_report import (accuracies, ci_points,
                                                fmt_ci, plot_probe_curves,
                                                probe_table)
    from mmsoco.utils.step_clock import StepClock, cpu_seconds
    args = parse_args(argv)
    args.work_dir = osp.abspath(args.work_dir)
    env = dict(os.environ)
    clock = StepClock('[mini-world]', REPO)
    t0, c0, load0 = time.time(), cpu_seconds(), os.getloadavg()
    world = make_world(args, clock, env)  # a bad --world records nothing
    from mmsoco.utils.work_dir_settings import settings_mismatch
    problem = settings_mismatch(args.work_dir, dict(
        world=osp.abspath(args.world) if args.world else args.world_images,
        iters=args.iters, batch=args.batch, lr_factor=args.lr_factor,
        workers=args.workers, draws=args.draws, det_iters=args.det_iters))
    if problem:
        raise SystemExit(f'error: --work-dir {problem}')
    probes, randoms, by_iter = {}, {}, {}
    det = None if args.quick or args.probe_only else _detection_module()
    aucs = {}
    for algo in args.algos:
        randoms[algo] = [probe(
            args, clock, env, world, osp.join(REPO, CONFIGS[algo]),
            osp.join(args.work_dir, f'probe_random_{algo}_seed{s}.json'), s)
            for s in args.seeds]
        probes[algo], by_iter[algo] = [], {}
        for s in args.seeds:
            exports = pretrain(args, clock, env, world, algo, s)
            if args.quick:
                exports = exports[-1:]
            for it, path in exports:
                r = probe(args, clock, env, world, path, osp.join(
                    args.work_dir, f'probe_{algo}_seed{s}_iter{it}.json'))
                by_iter[algo].setdefault(it, []).append(r)
            probes[algo].append(r)  # the last checkpoint's
            if det is not None:
                aucs.setdefault(algo, []).append(
                    detection(args, det, world, algo, exports[-1][1], s))
    if det is not None:
        aucs['random'] = [detection(args, det, world, 'random', None, s)
                          for s in args.seeds]
    # ------------------------------------------------------------ report
    table_in = {f'random ({a} network, BN recomputed)': randoms[a]
                for a in args.algos}
    table_in.update({f'{a} {args.iters} it': probes[a] for a in args.algos})
    print('\n' + probe_table(table_in, SHOTS))
    for init, runs in table_in.items():
        cos = [r['mean_cos'] for r in runs if 'mean_cos' in r]
        if cos:
            print(f'{init}: mean cosine between val boxes (collapse: near '
                  '1) ' + ', '.join(f'{n} {np.mean([c[n] for c in cos]):.3f}'
                                    for n in cos[0]))
    def level(runs, setting):
        return 100 * np.mean([np.mean(accuracies(r, **setting))
                              for r in runs])
    curves = {n: {a: {it: level(rs, st) for it, rs in by_iter[a].items()}
                  for a in args.algos} for n, st in SETTINGS.items()}
    titles = {n: f"{n} ({st['classifier']}, {st['feature']})"
              for n, st in SETTINGS.items()}
    random_level = {n: {a: level(randoms[a], st) for a in args.algos}
                    for n, st in SETTINGS.items()}
    summary = dict(args=vars(args), curves=curves,
                   random_level=random_level, steps=clock.steps)
    parts = []
    for algo in args.algos:
        cis = []
        for name, st in SETTINGS.items():
            c = ci_points(
                [x for r in probes[algo] for x in accuracies(r, **st)],
                [x for r in randoms[algo] for x in accuracies(r, **st)])
            summary[f'{algo} {name} ci'] = c
            cis.append(f'{name} {fmt_ci(c)}')
        part = f'{algo} ' + ', '.join(cis)
        if det is not None:
            from mmsoco.evaluation.curve_area import curve_area
            c = ci_points(*([curve_area(d['iters'], d['ap50'])
                             for d in aucs[k]] for k in (algo, 'random')))
            summary[f'{algo} detection AUC ci'] = c
            part += f', detection AUC {fmt_ci(c, len(args.seeds))}'
        else:
            part += ', detection AUC not run (%s)' % (
                '--quick' if args.quick else '--probe-only')
        parts.append(part)
    png = osp.join(args.work_dir, 'probe_vs_iterations.png')
    classes = len(_read(osp.join(world, 'world.json'))['categories'])
    plot_probe_curves({titles[n]: c for n, c in curves.items()},
                      {titles[n]: r for n, r in random_level.items()}, png,
                      100 / classes)
    load1 = os.getloadavg()
    print('\n' + clock.table())
    wall, cpu = time.time() - t0, cpu_seconds() - c0
    summary.update(wall=wall, cpu=cpu, load_start=load0, load_end=load1)
    from mmsoco.utils.atomic import atomic_write
    atomic_write(osp.join(args.work_dir, 'summary.json'),
                 json.dumps(summary, indent=1, default=float))
    print(f'\n{os.cpu_count()} cores; load average (1/5/15 min) at start '
          f'{load0[0]:.1f}/{load0[1]:.1f}/{load0[2]:.1f}, at end '
          f'{load1[0]:.1f}/{load1[1]:.1f}/{load1[2]:.1f}; {wall / 60:.1f} '
          f'min wall, {cpu / 60:.1f} min CPU; plot {png}; '
          f'{time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}')
    print('mini-world: ' + '; '.join(parts))
    return 0


if __name__ == '__main__':
    from mmsoco.utils.interrupt import exit_on_interrupt
    with exit_on_interrupt('rerun the same command: finished steps are '
                           'reused'):
        sys.exit(main())
