"""Few-label detection on a mini world: AP50 along a short fine-tune.

    python benchmarks/mini_world_detection.py WORLD --init EXPORT|random
        [--seeds 3] [--iters N] [--eval-points I ...] [--arch-from EXPORT]
        [--work-dir DIR] [--device cpu|cuda]

Faster R-CNN R18-FPN (configs/transfer/faster-rcnn_r18_fpn_mini-world.py)
fine-tuned through mmengine's Runner on the world's labelled ``train``
split, from an export of tools/export_weights.py or from random
initialisation, with the same settings for both (nothing frozen, BN
trained, one LR and schedule). COCO box AP50 on ``val`` is measured at a
few iterations of the run (``EvalPointsHook``); the curve's area
(trapezoid over the span, in AP50 points) is the number a paired
bootstrap compares between initialisations (mmsoco.evaluation). Prints
AP50 per evaluation point and seed, the area, and the cost of each run.

A world is the folder tools/make_mini_world.py writes: ``train/``,
``val/``, ``annotations/{train,val}.json`` and ``world.json``
(``image_size``: the side of its images). The detector's widths follow the
export (``--arch-from`` gives them to a random-init run; default: the
R18-FPN of the config). Runs are reused when found complete in their work
dir, and an interrupted run resumes from its last checkpoint.
"""
import argparse
import contextlib
import hashlib
import json
import os
import os.path as osp
import resource
import sys
import time
import uuid
from typing import Optional, Sequence

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = osp.join(REPO, 'configs', 'transfer',
                  'faster-rcnn_r18_fpn_mini-world.py')
AP50 = 'coco/bbox_mAP_50'
DEFAULT_IMAGE_SIZE = 128


def world_data(world_dir: str):
    """The world's labelled splits as a :class:`CocoData`."""
    from mmsoco.transfer.coco_data import CocoData
    w = osp.abspath(world_dir)
    return CocoData(osp.join(w, 'train'),
                    osp.join(w, 'annotations', 'train.json'),
                    osp.join(w, 'val'),
                    osp.join(w, 'annotations', 'val.json'))


def world_image_size(world_dir: str) -> int:
    """``image_size`` of the world's world.json (128 without one)."""
    path = osp.join(world_dir, 'world.json')
    if not osp.isfile(path):
        return DEFAULT_IMAGE_SIZE
    with open(path, encoding='utf-8') as f:
        size = json.load(f).get('image_size', DEFAULT_IMAGE_SIZE)
    if isinstance(size, (list, tuple)):
        size = max(size)
    if not isinstance(size, (int, float)) or size < 32:
        raise ValueError(f'{path}: image_size must be a side in pixels '
                         f'(>= 32), got {size!r}')
    return int(size)


def _set_image_size(pipeline: list, size: int) -> None:
    for t in pipeline:
        if t.get('type') == 'Resize':
            t['scale'] = (size, size)


def build_config(world_dir: str, init: Optional[str], seed: int,
                 work_dir: str, iters: int, eval_points: Sequence[int],
                 arch_from: Optional[str] = None,
                 options: Optional[dict] = None):
    """The fine-tuning config of one run (see :func:`finetune_curve`)."""
    from mmengine.config import Config

    from mmsoco.transfer import detector_widths, load_export
    from mmsoco.transfer.chain import init_cfg_for
    from mmsoco.transfer.recipes import set_coco_data, set_max_iters
    cfg = Config.fromfile(CONFIG)
    cfg.merge_from_dict(dict(model=init_cfg_for(init or '')))
    widths_of = arch_from or init
    if widths_of:
        cfg.merge_from_dict(dict(model=detector_widths(
            load_export(widths_of))))
    set_coco_data(cfg, world_data(world_dir))
    size = world_image_size(world_dir)
    cfg.image_size = size
    for loader in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        _set_image_size(cfg[loader].dataset.pipeline, size)
    set_max_iters(cfg, iters)
    # validation only at the evaluation points, by EvalPointsHook
    cfg.train_cfg.val_begin = iters + 1
    cfg.test_dataloader = cfg.test_cfg = cfg.test_evaluator = None
    points = sorted({int(i) for i in eval_points})
    cfg.custom_hooks = list(cfg.get('custom_hooks') or []) + [
        dict(type='mmsoco.EvalPointsHook', iters=points)]
    # a checkpoint at each point: an interrupted run resumes from the last
    cfg.default_hooks.checkpoint.interval = min(
        [b - a for a, b in zip([0] + points, points)] + [iters])
    cfg.default_hooks.checkpoint.max_keep_ckpts = 1
    cfg.default_hooks.logger.interval = max(1, min(50, iters // 4))
    cfg.work_dir = osp.abspath(work_dir)
    # mmengine keys its global message hub by the experiment name
    cfg.experiment_name = f'mini_world_det_{uuid.uuid4().hex[:8]}'
    cfg.randomness = dict(seed=seed, deterministic=False)
    cfg.resume = True
    cfg.load_from = None
    cfg.log_level = 'WARNING'
    if options:
        cfg.merge_from_dict(dict(options))
    return cfg


def _file_id(path: Optional[str]) -> Optional[str]:
    if not path:
        return None
    st = os.stat(path)
    return f'{osp.abspath(path)}:{st.st_size}:{st.st_mtime_ns}'


def _read_curve(work_dir: str) -> dict:
    path = osp.join(work_dir, 'curve.json')
    if not osp.isfile(path):
        return {}
    with open(path, encoding='utf-8') as f:
        return json.load(f)


def finetune_curve(world_dir: str, init: Optional[str], seed: int,
                   work_dir: str, iters: int, eval_points: Sequence[int],
                   device: str = 'cpu', arch_from: Optional[str] = None,
                   options: Optional[dict] = None) -> dict:
    """Fine-tune Faster R-CNN R18-FPN on ``world_dir``'s train split from
    ``init`` (an export or pretraining checkpoint; None or '' = random
    initialisation) for ``iters`` iterations with seed ``seed``, measuring
    COCO box AP50 on val after each of ``eval_points``.

    The detector's widths follow ``arch_from`` (default: ``init``), so a
    random-init run can match a shrunk pretraining's architecture.
    ``options`` are merged into the config last. Returns ``dict(iters=
    [...], ap50=[...] (fractions), loaded_tensors=N (0 for random init),
    export_tensors=N, seconds=wall, cpu_seconds=process CPU time)``, also
    written to ``work_dir/result.json`` and reused from there.
    """
    import torch
    points = sorted({int(i) for i in eval_points})
    if not points or points[0] < 1 or points[-1] > iters:
        raise ValueError(f'evaluation points {list(eval_points)} must lie '
                         f'in 1..{iters}')
    if device == 'cuda' and not torch.cuda.is_available():
        raise ValueError('device cuda: no CUDA device here')
    if device == 'cpu' and torch.cuda.is_available():
        raise ValueError('device cpu: this process sees a CUDA device, '
                         'which the Runner would use; hide it with '
                         'CUDA_VISIBLE_DEVICES= or pass device cuda')
    problems = world_data(world_dir).problems()
    if problems:
        raise ValueError(f'world {world_dir}: {problems[0]}')
    work_dir = osp.abspath(work_dir)
    done = osp.join(work_dir, 'result.json')
    settings = dict(world=osp.abspath(world_dir), init=_file_id(init),
                    arch_from=_file_id(arch_from), seed=seed, iters=iters,
                    eval_points=points, options=options or {})
    from mmsoco.utils.work_dir_settings import settings_mismatch
    problem = settings_mismatch(work_dir, settings)
    if problem:
        raise ValueError(problem)
    if osp.isfile(done):
        with open(done, encoding='utf-8') as f:
            return json.load(f)

    from mmengine.runner import Runner

    from mmsoco.transfer import compare, load_export
    from mmsoco.utils.atomic import atomic_write
    from mmsoco.utils.threads import apply_policy
    print(apply_policy(processes=1), flush=True)  # this process trains
    cfg = build_config(world_dir, init, seed, work_dir, iters, points,
                       arch_from, options)
    wall, cpu = time.time(), _cpu_seconds()
    runner = Runner.from_cfg(cfg)
    loaded = exported = 0
    if init:
        export = load_export(init)
        model = getattr(runner.model, 'module', runner.model)
        report = compare(model.state_dict(), export)
        if not report.ok:  # TransferPretrained (strict) would refuse it too
            raise ValueError(f'{init} does not fit the detector: '
                             f'{len(report.missing)} missing, '
                             f'{len(report.unexpected)} unexpected, '
                             f'{len(report.shape_mismatch)} of another shape')
        loaded, exported = report.num_loaded, len(export.state_dict)
    # pycocotools prints its summary table at every evaluation point: it
    # goes to the run's log, the caller prints the curve
    with open(osp.join(work_dir, 'finetune.log'), 'a',
              encoding='utf-8') as log, contextlib.redirect_stdout(log):
        runner.train()
    curve = _read_curve(work_dir)
    missing = [p for p in points if str(p) not in curve]
    if missing:
        raise RuntimeError(f'{work_dir}/curve.json lacks the evaluation '
                           f'points {missing}')
    result = dict(
        iters=points,
        ap50=[float(curve[str(p)].get(AP50, 0.0)) for p in points],
        loaded_tensors=loaded, export_tensors=exported,
        seconds=round(time.time() - wall, 1),
        cpu_seconds=round(_cpu_seconds() - cpu, 1))
    atomic_write(done, json.dumps(result, indent=1, sort_keys=True))
    return result


def _cpu_seconds() -> float:
    use = resource.getrusage(resource.RUSAGE_SELF)
    return use.ru_utime + use.ru_stime


def format_table(name: str, runs: dict) -> str:
    """Markdown table: AP50 (%) per evaluation point and seed, the curve
    area (mean AP50 over the span) and the cost of each run."""
    from mmsoco.evaluation.curve_area import curve_area
    first = next(iter(runs.values()))
    head = ('| init | seed | ' + ' | '.join(f'AP50@{i}' for i in
                                           first['iters'])
            + ' | area | wall s | CPU s |')
    rows = [head, '|---' * (len(first['iters']) + 5) + '|']
    areas = []
    for seed, r in runs.items():
        area = 100 * curve_area(r['iters'], r['ap50'])
        areas.append(area)
        rows.append(f'| {name} | {seed} | '
                    + ' | '.join(f'{100 * v:.1f}' for v in r['ap50'])
                    + f' | {area:.2f} | {r["seconds"]:.0f} | '
                    f'{r["cpu_seconds"]:.0f} |')
    means = [100 * sum(r['ap50'][k] for r in runs.values()) / len(runs)
             for k in range(len(first['iters']))]
    rows.append(f'| {name} | mean | ' + ' | '.join(f'{v:.1f}' for v in means)
                + f' | {sum(areas) / len(areas):.2f} | | |')
    return '\n'.join(rows)


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('world', help='folder written by tools/make_mini_world.py')
    p.add_argument('--init', required=True,
                   help='export (tools/export_weights.py) or pretraining '
                   'checkpoint to fine-tune from, or "random"')
    p.add_argument('--seeds', type=int, default=3,
                   help='seeds 0..N-1 (default 3)')
    p.add_argument('--iters', type=int, default=300)
    p.add_argument('--eval-points', type=int, nargs='+', default=None,
                   help='iterations to measure AP50 after (default: 1/4, '
                   '1/2, 3/4 and all of --iters)')
    p.add_argument('--arch-from', default=None,
                   help='export whose widths a random-init run takes')
    p.add_argument('--work-dir', default='work_dirs/mini_world_detection')
    p.add_argument('--device', default='cpu', choices=['cpu', 'cuda'])
    return p.parse_args(argv)


def main(argv=None) -> int:
    from mmsoco.utils.threads import passive_wait
    passive_wait()  # first: before anything loads torch (utils/threads.py)
    args = parse_args(argv)
    init = None if args.init == 'random' else args.init
    for flag, path in (('--init', init), ('--arch-from', args.arch_from)):
        if path and not osp.isfile(path):
            print(f'error: {flag} {path}: no such file (give an export of '
                  'tools/export_weights.py, or --init random)',
                  file=sys.stderr)
            return 2
    if args.seeds < 1 or args.iters < 1:
        print('error: --seeds and --iters must be at least 1',
              file=sys.stderr)
        return 2
    points = args.eval_points or sorted(
        {max(1, args.iters * k // 4) for k in (1, 2, 3, 4)})
    import mmsoco  # noqa: F401
    from mmsoco.transfer import ExportError
    name = 'random' if init is None else osp.splitext(
        osp.basename(init))[0]
    # runs from another file of the same name are kept apart
    tag = 'random' if init is None else (
        f'{name}-{hashlib.sha1(_file_id(init).encode()).hexdigest()[:8]}')
    load0, t0 = os.getloadavg(), time.time()
    runs = {}
    try:
        for seed in range(args.seeds):
            r = finetune_curve(args.world, init, seed,
                               osp.join(args.work_dir, f'{tag}_seed{seed}'),
                               args.iters, points, args.device,
                               args.arch_from)
            runs[seed] = r
            print(f'[mini-world detection] {name} seed {seed}: AP50 '
                  + ' '.join(f'{100 * v:.1f}' for v in r['ap50'])
                  + f' at {r["iters"]}; {r["seconds"]:.0f} s wall, '
                  f'{r["cpu_seconds"]:.0f} s CPU; loaded '
                  f'{r["loaded_tensors"]}/{r["export_tensors"]} tensors',
                  flush=True)
    except KeyboardInterrupt:
        print('interrupted: rerun the command to resume', file=sys.stderr)
        return 130
    except (ValueError, ExportError, OSError) as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    load1 = os.getloadavg()
    print()
    print(format_table(name, runs))
    print(f'\nmachine: {os.cpu_count()} cores, load average (1/5/15 min) '
          f'at start {load0[0]:.1f}/{load0[1]:.1f}/{load0[2]:.1f}, at end '
          f'{load1[0]:.1f}/{load1[1]:.1f}/{load1[2]:.1f}; '
          f'{(time.time() - t0) / 60:.1f} min')
    return 0


if __name__ == '__main__':
    sys.exit(main())
