"""Compute selective-search proposals into a memory-mapped ProposalStore.

    python tools/generate_proposals.py IMAGE_ROOT OUT_STORE [--workers N]
        [--filter ratio3size0308] [--image-root DIR] [--chunk-size 256]
        [--scale 300 --sigma 0.9 --min-size 100] [--neighbours NB]
        [--max-pixels 16000000] [--image-timeout 900] [--max-chunks N]
        [--keep-work-dir] [--overwrite] [--shard I/N | --merge]

IMAGE_ROOT is an image folder (flat or ImageNet-style class sub-folders,
searched recursively) or a text file with one image path per line (relative
to --image-root, default the list's folder). Keys in the store are the image
paths relative to the root, '/'-separated. Full guide: docs/proposals.md.

Kill it at any time (Ctrl-C, scancel, kill -9, a power cut) and rerun the
same command: finished chunks (kept in OUT_STORE.work/) are not recomputed
and the final store is identical to an uninterrupted run. A worker killed by
the OOM killer is replaced; its image is retried, then listed as bad. Images
over --max-pixels are segmented downsized (boxes in original pixels).

Many nodes: run `--shard I/N` for I = 0..N-1 (concurrently, same other
arguments); the last shard to finish assembles the store, or run `--merge`.

Safety: OUT_STORE must not be the image root, contain it, or (for an image
folder) lie inside it, and if it exists it must be a proposal store or an
empty folder; otherwise the tool stops before any work and deletes nothing.
--overwrite replaces a store only when it holds nothing but the files this
tool wrote (listed in its meta.json): anything else in it is named and the
tool stops.
One run per OUT_STORE (a second one is refused, naming the PID that runs).
"""
import argparse
import math
import os
import shlex
import signal
import sys


class Stopped(KeyboardInterrupt):
    """SIGTERM (e.g. scancel), handled like Ctrl-C."""


def parse_args(argv=None):
    from mmsoco.proposals.algorithm.filters import FILTERS
    from mmsoco.proposals.runner.inputs import DEFAULT_MAX_PIXELS
    p = argparse.ArgumentParser(
        description='Selective-search proposals -> ProposalStore',
        epilog='Resume: rerun the same command; finished chunks are reused. '
        'A finished OUT_STORE with the same settings is left as it is; with '
        'other settings the tool stops (use another OUT_STORE or '
        '--overwrite). OUT_STORE may not overlap the image root, and an '
        'existing path that is not a proposal store is refused, never '
        'deleted. See docs/proposals.md.')
    p.add_argument('image_root', help='image folder, or a file list')
    p.add_argument('out_store', help='output store folder')
    p.add_argument('--workers', type=int, default=1,
                   help='worker processes (default 1)')
    p.add_argument('--filter', default='ratio3size0308',
                   choices=sorted(FILTERS), help='named filter rule set')
    p.add_argument('--image-root', dest='list_root', default=None,
                   help='root the paths of a file list are relative to')
    p.add_argument('--chunk-size', type=int, default=256,
                   help='images per resumable chunk (default 256)')
    p.add_argument('--scale', type=float, default=300)
    p.add_argument('--sigma', type=float, default=0.9)
    p.add_argument('--min-size', type=int, default=100)
    p.add_argument('--neighbours', default='touch_or_overlap',
                   choices=['touch', 'overlap', 'touch_or_overlap'],
                   help='which initial regions may merge')
    p.add_argument('--max-pixels', type=int, default=DEFAULT_MAX_PIXELS,
                   help='segment larger images downsized to this many '
                   'pixels (boxes are mapped back); ~92 bytes per pixel '
                   'per worker, so the default keeps a worker under ~2 GB')
    p.add_argument('--image-timeout', type=float, default=900,
                   help='seconds one image may take before its worker is '
                   'stopped (then retried, then listed as bad)')
    p.add_argument('--max-chunks', type=int, default=None,
                   help='compute at most N new chunks, then stop (resume '
                   'later with the same command)')
    p.add_argument('--keep-work-dir', action='store_true',
                   help='keep OUT_STORE.work/ after the store is built')
    p.add_argument('--overwrite', action='store_true',
                   help='replace a proposal store made with other settings '
                   'or from images that changed (and discard an unfinished '
                   'run made otherwise); a store that holds any file this '
                   'tool did not write is refused, naming the file')
    g = p.add_mutually_exclusive_group()
    g.add_argument('--shard', default=None, metavar='I/N',
                   help='compute share I of N (I = 0..N-1, e.g. '
                   'SLURM_PROCID/SLURM_NTASKS) into OUT_STORE.work; the '
                   'last shard to finish assembles the store')
    g.add_argument('--merge', action='store_true',
                   help='assemble the store once every shard is done')
    return p.parse_args(argv)


def _stop(signum, frame):
    raise Stopped()


def main(argv=None) -> int:
    """The tool; Ctrl-C or SIGTERM at any moment, also while arguments are
    parsed and the imports load (seconds), ends it with one line, exit
    status 130."""
    old_int = signal.getsignal(signal.SIGINT)
    old_term = signal.signal(signal.SIGTERM, _stop)
    command = ' '.join(['python tools/generate_proposals.py'] + [
        shlex.quote(a) for a in (sys.argv[1:] if argv is None else argv)])
    state = dict(started=False)
    try:
        return _run(argv, command, state)
    except KeyboardInterrupt:
        signal.signal(signal.SIGINT, signal.SIG_IGN)  # a second Ctrl-C
        signal.signal(signal.SIGTERM, signal.SIG_IGN)
        if state['started']:
            out = state['out'].rstrip('/')
            print(f'interrupted: finished chunks are kept in {out}.work; '
                  f'resume with the same command: {command}',
                  file=sys.stderr)
        else:
            print('interrupted while starting, before any work: nothing '
                  f'was written; rerun: {command}', file=sys.stderr)
        return 130
    finally:
        signal.signal(signal.SIGINT, old_int)
        signal.signal(signal.SIGTERM, old_term)


def _run(argv, command: str, state: dict) -> int:
    args = parse_args(argv)
    from mmsoco.utils.threads import (OMP_ENV, ThreadSettingError,
                                      threads_per_process)
    try:  # before the imports: the thread policy's share for each of the
        # --workers processes (1 when there are as many workers as cores)
        os.environ.setdefault(OMP_ENV, str(threads_per_process(
            max(1, args.workers))[0]))
    except ThreadSettingError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    try:
        from mmsoco.image_set import ImageSetError
        from mmsoco.proposals import LockBusy, StoreError, generate_store
        from mmsoco.proposals.runner.inputs import parse_shard
        if args.workers < 1:
            raise ValueError(f'--workers must be >= 1, got {args.workers}')
        if not (0 < args.image_timeout < math.inf):
            raise ValueError('--image-timeout must be a number > 0, got '
                             f'{args.image_timeout}')
        shard = parse_shard(args.shard) if args.shard else None
        state.update(started=True, out=args.out_store)
        res = generate_store(
            args.image_root, args.out_store, workers=args.workers,
            filter=args.filter, image_root=args.list_root,
            chunk_size=args.chunk_size,
            scale=args.scale, sigma=args.sigma, min_size=args.min_size,
            neighbours=args.neighbours, max_pixels=args.max_pixels,
            max_chunks=args.max_chunks, keep_work_dir=args.keep_work_dir,
            overwrite=args.overwrite, shard=shard, merge=args.merge,
            image_timeout=args.image_timeout)
    except (FileNotFoundError, FileExistsError, ValueError, KeyError,
            ImageSetError, LockBusy, StoreError) as e:
        msg = e.args[0] if isinstance(e, KeyError) and e.args else e
        print(f'error: {msg}', file=sys.stderr)
        return 2
    except OSError as e:  # no space left, a read-only or vanished disk
        print(f'error: {os_error_line(e, args.out_store, command)}',
              file=sys.stderr)
        return 2
    if res.path is None and not shard:
        print(f'stopped after {res.computed_chunks} new chunks; rerun the '
              f'same command to continue: {command}', file=sys.stderr)
    return 0


def os_error_line(e: OSError, out: str, command: str) -> str:
    """One line for a write that failed (ENOSPC, EROFS, EIO, ...): what
    failed and that nothing partial is left under a final name."""
    out = out.rstrip('/')
    where = f' ({e.filename})' if e.filename else ''
    what = e.strerror or str(e) or type(e).__name__
    return (f'{what}{where} while making {out}; no partial file is left '
            f'under a final name and finished chunks are kept in '
            f'{out}.work: free space (or fix the disk) and rerun the same '
            f'command: {command}')


if __name__ == '__main__':
    sys.exit(main())
