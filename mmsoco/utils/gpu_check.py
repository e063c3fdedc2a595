"""The Python side of ``tools/gpu_check.sh``: whether torch sees a CUDA
device, and the table of a finished check.

    python -m mmsoco.utils.gpu_check cuda      # exit 0 with CUDA, 1 without
    python -m mmsoco.utils.gpu_check table RUN --device cpu|cuda \\
        --images DIR --proposal-workers N [--smoke]

``table`` reads ``RUN/results.jsonl`` (one JSON line per step of the shell
script, plus the benchmarks' rows) and the steps' logs, prints the Markdown
table, saves it as ``RUN/table.md`` and exits 1 when a check failed.
"""
import argparse
import glob
import json
import os
import os.path as osp
import re
import sys
import time
from typing import List, Tuple

from mmsoco.utils.atomic import atomic_write


def cuda_available() -> bool:
    import torch
    return torch.cuda.is_available()


def _log_tail(run: str, name: str, n: int = 1) -> List[str]:
    with open(osp.join(run, f'{name}.log')) as f:
        lines = f.read().strip().splitlines()
    return lines[-n:] if lines else ['(no output)']


def _losses(run: str) -> List[Tuple[int, float]]:
    losses = []
    for path in sorted(glob.glob(osp.join(run, 'pretrain', '*', 'vis_data',
                                          'scalars.json'))):
        with open(path) as f:
            for line in f:
                rec = json.loads(line)
                if 'loss' in rec and 'iter' in rec:
                    losses.append((rec['iter'], rec['loss']))
    return losses


def table_rows(run: str, smoke: bool, images: str,
               prop_workers: str) -> Tuple[List[str], bool]:
    """The table's body rows and whether any check failed."""
    with open(osp.join(run, 'results.jsonl')) as f:
        rows = [json.loads(line) for line in f]
    steps = {r['name']: r for r in rows if r['check'] == 'step'}
    table, failed = [], False

    def status(name):
        rc = steps[name]['rc']
        return 'ok' if rc == 0 else f'FAIL (rc {rc})'

    def add(check, setting, result, ok):
        nonlocal failed
        failed |= not ok.startswith('ok')
        table.append(f'| {check} | {setting} | {result} | {ok} |')

    add('tests/integration/test_cuda.py', 'pytest',
        _log_tail(run, 'test_cuda')[0].strip('= '), status('test_cuda'))
    ts = [r for r in rows if r['check'] == 'train_step']
    for r in ts:
        setting = (f'{r["config"]}, {r["pool_mode"]}, batch {r["batch"]}, '
                   f'{"AMP fp16" if r["amp"] else "fp32"}')
        if 'error' in r:
            add('train step', setting, r['error'], 'FAIL')
        else:
            gpu = r['device'].startswith('cuda')
            add('train step', setting,
                f'{r["images_per_s"]:.1f} images/s{"/GPU" if gpu else ""}, '
                f'{r["s_per_step"]:.3f} s/step, '
                f'peak {"GPU" if gpu else "RSS"} {r["peak_mib"]:.0f} MiB',
                'ok')
    if not ts:
        add('train step', '', _log_tail(run, 'train_step')[0],
            status('train_step'))
    prop_log = ' '.join(_log_tail(run, 'proposals', 5))
    found = re.search(r'(\d+) images, ([\d.]+) boxes/img', prop_log)
    add('proposals', f'{images}, {prop_workers} workers',
        (f'{steps["proposals"]["seconds"]} s, {found[1]} images, '
         f'{found[2]} boxes/img') if found else
        ('reused from an earlier run' if 'complete' in prop_log
         else _log_tail(run, 'proposals')[0][:120]), status('proposals'))
    dl = [r for r in rows if r['check'] == 'data_loader']
    for r in dl:
        add('data loader', f'{r["workers"]} workers, batch {r["batch"]}, '
            f'{r["images"]} images',
            f'{r["samples_per_s"]:.0f} samples/s '
            f'(first batch {r["first_batch_s"]:.1f} s)', 'ok')
    if not dl:
        add('data loader', '', _log_tail(run, 'data_loader')[0],
            status('data_loader'))
    losses = _losses(run)
    if steps['pretrain']['rc'] != 0 or len(losses) < 2:
        add('pretraining', '', _log_tail(run, 'pretrain')[0][:120], 'FAIL')
    else:
        k = max(1, len(losses) // 5)
        first = sum(loss for _, loss in losses[:k]) / k
        last = sum(loss for _, loss in losses[-k:]) / k
        add('pretraining',
            f'{losses[-1][0]} iterations, {steps["pretrain"]["seconds"]} s',
            f'loss {first:.3f} -> {last:.3f} (mean of first / last {k} '
            'logged)',
            'ok' if last < first else
            ('ok (smoke: not required)' if smoke
             else 'FAIL: loss did not fall'))
    return table, failed


def write_table(run: str, smoke: bool, device: str, images: str,
                prop_workers: str) -> bool:
    """Print and save ``run/table.md``; True when every check passed."""
    import torch
    table, failed = table_rows(run, smoke, images, prop_workers)
    where = (f'{torch.cuda.get_device_name()} (CUDA {torch.version.cuda})'
             if device == 'cuda' else f'CPU, {os.cpu_count()} cores')
    head = [f'tools/gpu_check.sh{" --cpu-smoke" if smoke else ""}, '
            f'{time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}, '
            f'{where}, torch {torch.__version__}', '',
            '| check | setting | result | status |', '|---|---|---|---|']
    text = '\n'.join(head + table) + '\n'
    atomic_write(osp.join(run, 'table.md'), text)
    print('\n' + text + f'\nsaved: {osp.join(run, "table.md")}')
    return not failed


def main(argv=None) -> int:
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    sub = p.add_subparsers(dest='command', required=True)
    sub.add_parser('cuda', help='exit 0 when torch sees a CUDA device')
    t = sub.add_parser('table', help="print and save a check's table")
    t.add_argument('run', help='the run folder of tools/gpu_check.sh')
    t.add_argument('--device', choices=('cpu', 'cuda'), required=True)
    t.add_argument('--images', required=True)
    t.add_argument('--proposal-workers', required=True)
    t.add_argument('--smoke', action='store_true')
    args = p.parse_args(argv)
    if args.command == 'cuda':
        return 0 if cuda_available() else 1
    ok = write_table(args.run, args.smoke, args.device, args.images,
                     args.proposal_workers)
    return 0 if ok else 1


if __name__ == '__main__':
    sys.exit(main())
