"""Wall and CPU time of the main job, with and without a background load.

    python benchmarks/main_job.py [--runs 1] [--load 0 2] [--env NAME=VAR=V]
        [--data cached|fresh] [--repo DIR] [--json FILE]

Runs ``python tools/train.py configs/soco_r18_fpn_1xb4-12iter_demo.py``
(the README's main job) in a subprocess, each run in a fresh work dir, for
each number of busy background processes in --load (K pure-Python busy
loops, the load of other jobs on a shared machine) and each environment in
--env (``default``: the environment as it is; ``omp1=OMP_NUM_THREADS=1``:
NAME, then the variable to set). ``--data cached`` builds the demo set once
before timing (the usual case); ``fresh`` times each run with its demo set
built from nothing (photos, proposals, numba compilation when its cache is
cold). ``--repo`` runs another checkout's train.py and package (e.g. an
older commit unpacked with ``git archive``) to compare before and after.

Per row: wall seconds, CPU seconds (user + sys of the job and its
dataloader workers), mean seconds per training iteration after the first
(from the log), and the 1-minute load average before the run. On a shared
machine wall time is inflated by the other jobs; CPU time much less so.
"""
import argparse
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys
import tempfile
import time

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
CONFIG = 'configs/soco_r18_fpn_1xb4-12iter_demo.py'
ITER_TIME = re.compile(r'Iter\(train\)\s*\[\s*(\d+)/\d+\].*?\btime: ([\d.]+)')
BUSY = 'while True:\n    pass\n'


def parse_args(argv=None):
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--runs', type=int, default=1, help='runs per row')
    p.add_argument('--load', type=int, nargs='+', default=[0, 2],
                   help='busy background processes per row')
    p.add_argument('--env', nargs='+', default=['default'],
                   help="'default' or NAME=VARIABLE=VALUE, e.g. "
                   'omp1=OMP_NUM_THREADS=1')
    p.add_argument('--data', choices=('cached', 'fresh'), default='cached')
    p.add_argument('--repo', default=REPO,
                   help='checkout whose tools/train.py and mmsoco run')
    p.add_argument('--json', help='append one JSON object per run')
    return p.parse_args(argv)


def parse_env(spec: str):
    if spec == 'default':
        return 'default', {}
    name, sep, assignment = spec.partition('=')
    var, sep2, value = assignment.partition('=')
    if not (sep and sep2 and name and var):
        raise ValueError(f'--env {spec!r}: write default or '
                         'NAME=VARIABLE=VALUE, e.g. omp1=OMP_NUM_THREADS=1')
    return name, {var: value}


def run_job(repo: str, data_root: str, env_extra: dict) -> dict:
    work = tempfile.mkdtemp(prefix='main_job_')
    env = dict(os.environ, **env_extra)
    if osp.realpath(repo) != osp.realpath(REPO):  # --repo: that package
        env['PYTHONPATH'] = repo
    cmd = [sys.executable, osp.join(repo, 'tools', 'train.py'),
           osp.join(repo, CONFIG), '--work-dir', work, '--cfg-options',
           f'train_dataloader.dataset.data_root={data_root}']
    load = os.getloadavg()[0]
    start = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=work, env=env, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, text=True)
    out = proc.stdout.read()
    _, status, usage = os.wait4(proc.pid, 0)
    wall = time.perf_counter() - start
    proc.returncode = os.waitstatus_to_exitcode(status)
    shutil.rmtree(work, ignore_errors=True)
    if proc.returncode != 0:
        raise RuntimeError(f'main job failed ({proc.returncode}):\n'
                           + out[-3000:])
    times = [float(t) for i, t in ITER_TIME.findall(out) if int(i) > 1]
    return dict(wall_s=wall, cpu_s=usage.ru_utime + usage.ru_stime,
                iter_s=sum(times) / len(times) if times else float('nan'),
                load_before=load)


def main(argv=None) -> int:
    args = parse_args(argv)
    try:
        envs = [parse_env(s) for s in args.env]
    except ValueError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    tmp = tempfile.mkdtemp(prefix='main_job_data_')
    rows = []
    try:
        cached = osp.join(tmp, 'demo')
        if args.data == 'cached':  # built once, outside the timing
            run_job(args.repo, cached, {})
        for k in args.load:
            busy = [subprocess.Popen([sys.executable, '-c', BUSY])
                    for _ in range(k)]
            try:
                time.sleep(2 if k else 0)
                for name, env in envs:
                    for run in range(args.runs):
                        root = (cached if args.data == 'cached' else
                                osp.join(tmp, f'fresh{k}_{name}_{run}'))
                        row = dict(load=k, env=name, data=args.data,
                                   **run_job(args.repo, root, env))
                        rows.append(row)
                        print(json.dumps(row), flush=True)
            finally:
                for b in busy:
                    b.kill()
                    b.wait()
    finally:
        shutil.rmtree(tmp, ignore_errors=True)
    print(f'\n{CONFIG}, {args.repo}, {os.cpu_count()} cores, '
          f'{time.strftime("%Y-%m-%d %H:%M UTC", time.gmtime())}')
    print('| busy processes | env | data | wall (s) | CPU (s) | '
          's/iteration | load before |')
    print('|---|---|---|---|---|---|---|')
    for r in rows:
        print(f'| {r["load"]} | {r["env"]} | {r["data"]} | '
              f'{r["wall_s"]:.1f} | {r["cpu_s"]:.1f} | {r["iter_s"]:.2f} | '
              f'{r["load_before"]:.2f} |')
    if args.json:
        with open(args.json, 'a') as f:
            for r in rows:
                f.write(json.dumps(dict(r, repo=args.repo)) + '\n')
    return 0


if __name__ == '__main__':
    sys.exit(main())
