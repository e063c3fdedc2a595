"""Box k-NN probe: random initialisation vs mmsoco pretraining of increasing
length, on the CPU (or a GPU).

    python benchmarks/probe.py [--data-root DIR] [--iters 50 100 200]
        [--algos soco insloc] [--batch 8] [--view-size 96] [--seeds 0 1 2]
        [--device cpu|cuda] [--work-dir work_dirs/bench_probe]

Pretrains the ResNet-18 FPN of configs/soco_r18_fpn_1xb4-12iter_demo.py and
configs/insloc_r18_fpn_1xb4-8iter_demo.py on the *unlabelled* images of
DATA_ROOT/train2017 (SoCo: selective-search proposals first) at reduced view
sizes (SoCo: V/V/V2 views, InsLoc: V canvas) with each config's LR rule
(LR x batch / 256) and its schedule stretched to max(--iters) iterations
(mmsoco/engine/run_length.py: SoCo's warm-up keeps its share, then cosine;
InsLoc's cosine). The
box probe (BoxProbeValLoop + BoxKNNProbe, a user's val_evaluator:
train2017 boxes vote for val2017 boxes) runs after each of --iters
iterations of that one run. The random-initialisation rows (iteration 0)
are each algorithm's own network (config) at --seeds. The device is
mmengine's choice (CUDA when available) for pretraining, --device for the
random rows. Prints a Markdown table and the machine load,
writes WORK_DIR/probe_benchmark.png and WORK_DIR/probe_benchmark.json; a
finished algorithm's rows are reused when the command is run again.
"""
import argparse
import json
import os
import os.path as osp
import sys
import time

from mmsoco.utils.coco_tiny import coco_tiny_root, missing_coco_layout

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

DEFAULT_DATA = coco_tiny_root()
CONFIGS = dict(
    soco=osp.join(REPO, 'configs', 'soco_r18_fpn_1xb4-12iter_demo.py'),
    insloc=osp.join(REPO, 'configs', 'insloc_r18_fpn_1xb4-8iter_demo.py'))
COLUMNS = ('head_top1', 'head_mean_acc', 'head_mean_cos', 'c5_top1',
           'c5_mean_acc', 'c5_mean_cos')


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--data-root', default=DEFAULT_DATA)
    p.add_argument('--iters', type=int, nargs='+', default=[50, 100, 200],
                   help='probe points (one run of max(iters) iterations)')
    p.add_argument('--algos', nargs='+', default=['soco', 'insloc'],
                   choices=sorted(CONFIGS))
    p.add_argument('--batch', type=int, default=8)
    p.add_argument('--view-size', type=int, default=96,
                   help='SoCo views V/V/V/2, InsLoc canvas V (recipe: 224 '
                   'and 256)')
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2],
                   help='random-initialisation seeds')
    p.add_argument('--probe-scale', type=int, nargs=2, default=[400, 240],
                   metavar=('LONG', 'SHORT'),
                   help='probe image size limits (tools/probe.py: 533 320)')
    p.add_argument('--workers', type=int, default=1,
                   help='data loader workers')
    p.add_argument('--device', default='cpu')
    p.add_argument('--work-dir', default='work_dirs/bench_probe')
    return p.parse_args(argv)


def probe_data(root: str, scale) -> dict:
    ann = osp.join(root, 'annotations', 'instances_{}2017.json')
    return dict(type='BoxProbeDataset', scale=tuple(scale),
                ann_file=ann.format('val'),
                img_dir=osp.join(root, 'val2017'),
                bank_ann_file=ann.format('train'),
                bank_img_dir=osp.join(root, 'train2017'))


def reduce_views(cfg, algo: str, size: int) -> None:
    """Smaller SoCo views / InsLoc canvas in the config's own pipeline."""
    for t in cfg.train_dataloader.dataset.pipeline:
        if t['type'] == 'SoCoMultiView':
            for view, s in zip(t['views'], (size, size, size // 2, size)):
                view['size'] = s
        elif t['type'] == 'InsLocCopyPaste':
            t['canvas'] = size
            t['fore_range'] = (size // 2, size - 1)


def pretrain_config(args, algo: str, work_dir: str):
    from mmengine.config import Config

    from mmsoco.engine.run_length import set_run_length
    from mmsoco.transfer.chain import make_proposals
    cfg = Config.fromfile(CONFIGS[algo])
    images = osp.join(args.data_root, 'train2017')
    reduce_views(cfg, algo, args.view_size)
    data = cfg.train_dataloader
    data.update(batch_size=args.batch, num_workers=args.workers,
                persistent_workers=args.workers > 0)
    data.dataset.pop('build_demo', None)
    data.dataset.update(data_root=images, ann_file='')
    if algo == 'soco':
        data.dataset.proposals = make_proposals(
            images, osp.join(args.work_dir, 'proposals'))
    if algo == 'insloc':
        cfg.model.queue_len = max(cfg.model.queue_len, args.batch)
    total = max(args.iters)
    set_run_length(cfg, iters=total)
    # the probe runs at exactly --iters (the Record hook calls the val loop)
    cfg.train_cfg.update(val_begin=total + 1, val_interval=total + 1)
    cfg.val_dataloader = dict(batch_size=8, num_workers=0,
                              sampler=dict(type='DefaultSampler',
                                           shuffle=False),
                              dataset=probe_data(args.data_root,
                                                 args.probe_scale))
    cfg.val_evaluator = dict(type='BoxKNNProbe')
    cfg.val_cfg = dict(type='BoxProbeValLoop')
    cfg.default_hooks.logger = dict(type='LoggerHook', interval=25)
    cfg.default_hooks.checkpoint = dict(type='CheckpointHook',
                                        by_epoch=False, interval=total,
                                        max_keep_ckpts=1)
    cfg.work_dir = work_dir
    cfg.experiment_name = f'bench_probe_{algo}_{int(time.time())}'
    cfg.log_level = 'WARNING'
    return cfg


def pretrain_rows(args, algo: str) -> list:
    """Probe rows of one pretraining run (iteration 0 included)."""
    from mmengine.hooks import Hook
    from mmengine.runner import Runner
    work = osp.join(args.work_dir, algo)
    done = osp.join(work, 'probe_rows.json')
    if osp.isfile(done):
        with open(done) as f:
            return json.load(f)
    rows = []

    class Record(Hook):
        priority = 'LOWEST'

        def after_train_iter(self, runner, batch_idx, data_batch=None,
                             outputs=None):
            if runner.iter + 1 in args.iters:
                runner.val_loop.run()

        def after_val_epoch(self, runner, metrics=None):
            m = {k.split('/', 1)[-1]: float(v) for k, v in metrics.items()}
            rows.append(dict(init=algo, iters=runner.iter + 1,
                             seconds=time.time() - start, **m))
            print(f'[bench] {algo} iteration {runner.iter + 1}: head top1 '
                  f'{m["head_top1"]:.3f}, c5 top1 {m["c5_top1"]:.3f}, head '
                  f'cos {m["head_mean_cos"]:.2f}', flush=True)

    runner = Runner.from_cfg(pretrain_config(args, algo, work))
    runner.register_hook(Record())
    start = time.time()
    runner.train()
    write_json(done, rows)
    return rows


def random_rows(args, algo: str) -> list:
    """The algorithm's own network at random initialisation, per seed (the
    configs differ: SoCo zero-initialises the last BN of each residual
    block, InsLoc does not)."""
    import torch

    from mmsoco.evaluation import (BoxProbeDataset, ProbeNet,
                                   model_from_config, run_probe)
    done = osp.join(args.work_dir, algo, 'random_rows.json')
    rows = []
    if osp.isfile(done):
        with open(done) as f:
            rows = [r for r in json.load(f)
                    if int(r['init'].rsplit(' ', 1)[-1]) in args.seeds]
    seen = {int(r['init'].rsplit(' ', 1)[-1]) for r in rows}
    data = probe_data(args.data_root, args.probe_scale)
    data.pop('type')
    dataset = None
    for seed in args.seeds:
        if seed in seen:
            continue
        dataset = dataset or BoxProbeDataset(**data)
        start = time.time()
        model = model_from_config(CONFIGS[algo], seed).to(args.device)
        with torch.no_grad():
            m = run_probe(ProbeNet.from_model(model), dataset)
        rows.append(dict(init=f'random {algo} seed {seed}', iters=0,
                         seconds=time.time() - start, **m))
        print(f'[bench] random {algo} seed {seed}: head top1 '
              f'{m["head_top1"]:.3f}, c5 top1 {m["c5_top1"]:.3f}',
              flush=True)
        write_json(done, rows)
    return rows


def write_json(path: str, obj) -> None:
    from mmsoco.utils.atomic import atomic_write
    atomic_write(path, json.dumps(obj, indent=1))


def table(rows: list) -> str:
    head = ('| init | iterations | ' + ' | '.join(
        c.replace('_', ' ') for c in COLUMNS) + ' |')
    lines = [head, '|---' * (len(COLUMNS) + 2) + '|']
    for r in rows:
        lines.append(f'| {r["init"]} | {r["iters"]} | ' + ' | '.join(
            f'{r[c]:.3f}' for c in COLUMNS) + ' |')
    return '\n'.join(lines)


def plot(rows: list, path: str) -> None:
    from matplotlib.figure import Figure

    from mmsoco.engine.hooks import save_figure
    fig = Figure(figsize=(12, 3.8))
    axes = fig.subplots(1, 3)
    algos = [r['init'] for r in rows if not r['init'].startswith('random')]
    algos = list(dict.fromkeys(algos))
    for ax, key in zip(axes, ('head_top1', 'c5_top1', 'head_mean_cos')):
        for i, algo in enumerate(algos):
            colour = f'C{i}'
            pts = [(r['iters'], r[key]) for r in rows if r['init'] == algo]
            rand = [r[key] for r in rows
                    if r['init'].startswith(f'random {algo} ')]
            if rand:
                ax.axhspan(min(rand), max(rand), color=colour, alpha=0.15,
                           label=f'{algo} random init ({len(rand)} seeds)')
                ax.plot([0] * len(rand), rand, 'x', color=colour)
            ax.plot(*zip(*pts), marker='o', color=colour, label=algo)
        if key.endswith('top1') and rows:
            ax.axhline(rows[0]['majority_top1'], color='k', ls=':',
                       lw=0.8, label='majority class')
        ax.set(xlabel='pretraining iterations', title=key.replace('_', ' '))
        ax.legend(fontsize=6)
    fig.tight_layout()
    save_figure(fig, path)


def main(argv=None) -> int:
    args = parse_args(argv)
    missing = missing_coco_layout(args.data_root)
    if missing:
        print(f'error: --data-root {args.data_root} has no {missing[0]}',
              file=sys.stderr)
        return 2
    import torch

    import mmsoco  # noqa: F401
    from mmengine.registry import init_default_scope
    init_default_scope('mmsoco')
    args.work_dir = osp.abspath(args.work_dir)
    load0, t0 = os.getloadavg(), time.time()
    rows = []
    for algo in args.algos:
        rows += random_rows(args, algo) + pretrain_rows(args, algo)
    load1 = os.getloadavg()
    write_json(osp.join(args.work_dir, 'probe_benchmark.json'), rows)
    png = osp.join(args.work_dir, 'probe_benchmark.png')
    plot(rows, png)
    print()
    print(table(rows))
    print(f'\nmajority class: {rows[0]["majority_top1"]:.3f} top-1; '
          f'{int(rows[0]["num_query"])} query (val2017) boxes, '
          f'{int(rows[0]["num_bank"])} bank (train2017) boxes')
    print(f'machine: {os.cpu_count()} cores, torch threads '
          f'{torch.get_num_threads()}, load average (1/5/15 min) at start '
          f'{load0[0]:.1f}/{load0[1]:.1f}/{load0[2]:.1f}, at end '
          f'{load1[0]:.1f}/{load1[1]:.1f}/{load1[2]:.1f}; '
          f'{(time.time() - t0) / 60:.1f} min; plot: {png}')
    return 0


if __name__ == '__main__':
    sys.exit(main())
