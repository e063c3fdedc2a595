"""ProposalStore at ImageNet-1k scale (synthetic boxes).

    python benchmarks/proposal_store.py [--keys 1281167] [--boxes 40]
        [--readers 8] [--lookups 20000] [--out /tmp/dir]

Builds a store of KEYS ImageNet-style keys with BOXES integral boxes each,
then prints: file size, build time, open time, lookup time, and the memory
growth of READERS forked dataloader-like workers that each look up random
keys: RSS (grows by the file pages they touch, which the page cache shares)
PSS (shared pages divided among the processes mapping them) and anonymous
memory (what a per-worker copy would show up as), and the machine-wide
memory in use while all readers are alive.
"""
import argparse
import multiprocessing as mp
import os
import os.path as osp
import shutil
import tempfile
import time

import numpy as np

from mmsoco.proposals import ProposalStore, write_store_arrays


def proc_kb(field: str, path: str = '/proc/self/status') -> int:
    with open(path) as f:
        for line in f:
            if line.startswith(field + ':'):
                return int(line.split()[1])
    return -1


def synthetic(num_keys: int, per: int, seed: int = 0):
    rng = np.random.default_rng(seed)
    keys = [f'n{c:08d}/n{c:08d}_{i}.JPEG'
            for i, c in enumerate(np.arange(num_keys) % 1000)]
    counts = rng.integers(per // 2, per * 3 // 2 + 1, num_keys)
    counts = (counts * (per * num_keys / counts.sum())).astype(np.int64)
    m = int(counts.sum())
    xy = rng.integers(0, 300, (m, 2), dtype=np.uint16)
    wh = rng.integers(32, 200, (m, 2), dtype=np.uint16)
    return keys, np.concatenate([xy, xy + wh], 1), counts


def reader(path, keys_sample, q, done):
    store = ProposalStore(path)  # reopened like a dataset would (cheap)
    rollup = '/proc/self/smaps_rollup'
    rss0, anon0, pss0 = (proc_kb('VmRSS'), proc_kb('Anonymous', rollup),
                         proc_kb('Pss', rollup))
    t = time.perf_counter()
    n = 0
    for k in keys_sample:
        n += len(store[k])
    dt = time.perf_counter() - t
    q.put((proc_kb('VmRSS') - rss0, proc_kb('Anonymous', rollup) - anon0,
           dt / len(keys_sample), n, proc_kb('Pss', rollup) - pss0))
    done.wait(600)  # stay alive (mappings held) while the parent measures


def system_used_kb() -> int:
    """MemTotal - MemAvailable: memory the whole machine has in use."""
    return (proc_kb('MemTotal', '/proc/meminfo') -
            proc_kb('MemAvailable', '/proc/meminfo'))


def dir_size(path: str) -> int:
    return sum(osp.getsize(osp.join(path, f)) for f in os.listdir(path))


def main():
    p = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    p.add_argument('--keys', type=int, default=1281167)
    p.add_argument('--boxes', type=int, default=40)
    p.add_argument('--readers', type=int, default=8)
    p.add_argument('--lookups', type=int, default=20000)
    p.add_argument('--out', default=None, help='scratch folder')
    args = p.parse_args()
    scratch = args.out or tempfile.mkdtemp(prefix='store-bench-')
    path = osp.join(scratch, 'proposals')
    try:
        t = time.perf_counter()
        keys, flat, counts = synthetic(args.keys, args.boxes)
        t_gen = time.perf_counter() - t
        t = time.perf_counter()
        write_store_arrays(path, keys, flat, counts)
        t_build = time.perf_counter() - t
        del flat
        t = time.perf_counter()
        store = ProposalStore(path)
        t_open = time.perf_counter() - t
        rng = np.random.default_rng(1)
        sample = [keys[i] for i in rng.integers(0, len(keys), args.lookups)]
        t = time.perf_counter()
        for k in sample:
            store[k]
        t_lookup = (time.perf_counter() - t) / len(sample)
        ctx = mp.get_context('fork')
        q = ctx.Queue()
        done = ctx.Event()
        procs = []
        for r in range(args.readers):
            ks = [keys[i] for i in np.random.default_rng(10 + r).integers(
                0, len(keys), args.lookups)]
            procs.append(ctx.Process(target=reader, args=(path, ks, q, done)))
        del keys, sample
        used0 = system_used_kb()
        for pr in procs:
            pr.start()
        res = [q.get() for _ in procs]
        used_all = (system_used_kb() - used0) / 1024
        done.set()
        for pr in procs:
            pr.join()
        rss = [r[0] / 1024 for r in res]
        anon = [r[1] / 1024 for r in res]
        lk = [r[2] * 1e6 for r in res]
        pss = [r[4] / 1024 for r in res]
        size = dir_size(path)
        rows = [
            ('keys', f'{len(store):,}'),
            ('boxes', f'{len(store._boxes):,} ({store.meta["box_dtype"]})'),
            ('store size on disk', f'{size / 2**20:.0f} MiB '
             f'({size / len(store):.0f} B/key)'),
            ('build time (write_store_arrays)', f'{t_build:.1f} s '
             f'(+{t_gen:.1f} s making synthetic data)'),
            ('open time', f'{t_open * 1e3:.1f} ms'),
            ('lookup time (random key, main process)',
             f'{t_lookup * 1e6:.1f} us'),
            (f'lookup time ({args.readers} forked readers, mean)',
             f'{np.mean(lk):.1f} us'),
            (f'RSS growth per reader ({args.lookups:,} random lookups)',
             f'mean {np.mean(rss):.1f} MiB, max {max(rss):.1f} MiB'),
            ('PSS growth per reader (shared pages split among sharers)',
             f'mean {np.mean(pss):.1f} MiB, max {max(pss):.1f} MiB'),
            (f'machine memory in use, all {args.readers} readers together',
             f'+{used_all:.0f} MiB (incl. {args.readers} Python processes; '
             'store pages are one shared page-cache copy)'),
            ('anonymous (private copy) growth per reader',
             f'mean {np.mean(anon):.2f} MiB, max {max(anon):.2f} MiB'),
        ]
        rows.append(('machine load average (1 min)',
                     f'{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores'))
        w = max(len(a) for a, _ in rows)
        print(f'| {"ProposalStore, ImageNet-1k scale".ljust(w)} | value |')
        print(f'|{"-" * (w + 2)}|-------|')
        for a, b in rows:
            print(f'| {a.ljust(w)} | {b} |')
    finally:
        if args.out is None:
            shutil.rmtree(scratch, ignore_errors=True)


if __name__ == '__main__':
    main()
