"""Resumable, multi-process generation of a ProposalStore.

Images are processed in fixed chunks (by sorted key, ``chunk_size`` images,
default 256); each finished chunk is written atomically (fsynced, renamed) as
a shard file in ``<out>.work/``. Rerunning the same command skips the shards
already there and the final store is byte-identical to an uninterrupted run.
Resume is per chunk: a kill loses the images already done in the chunk in
progress (fewer than ``chunk_size``) plus the few (about 2 per worker) that
workers had computed ahead of it; a smaller ``chunk_size`` gives finer resume
at the cost of more shard files. Once every chunk is done the shards are
merged into the store (atomic rename) and the work folder is removed.
Unreadable, truncated or corrupt files are counted, listed with their reason
in ``<store>/bad_files.txt`` and ``report.json``, and left out of the store;
the run carries on.

Safety: the output is refused, before any work, when it is (or contains, or
for a scanned image folder lies inside) the image root, or when it exists and
is not a proposal store (nor an empty folder); nothing else is ever deleted.
A finished store records its settings (``meta.json`` ``manifest``: filter,
selective-search parameters, image root and a SHA-256 of the sorted key list);
rerunning with the same settings returns at once, with different ones it
stops and says so unless ``overwrite=True``.
"""
import hashlib
import json
import multiprocessing as mp
import os
import os.path as osp
import shutil
import sys
import time
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple, Union

import numpy as np

from mmsoco.image_set import (IMAGE_EXTENSIONS, BadImage, list_images,
                              load_rgb, resolve_root)
from mmsoco.utils.atomic import fsync_path, pid_alive
from .filters import FilterSpec, filter_boxes, get_filter
from .store import (clean_stale_temps, is_store, read_meta, replaceable,
                    write_store)

WORK_SUFFIX = '.work'


@dataclass
class GenerateResult:
    path: Optional[str]  # None when stopped early (max_chunks)
    num_images: int
    bad: List[Tuple[str, str]] = field(default_factory=list)
    computed_chunks: int = 0
    reused_chunks: int = 0
    stage_counts: Dict[str, int] = field(default_factory=dict)
    already_complete: bool = False  # the store was there with these settings


# ------------------------------------------------------------------ inputs
def _inside(path: str, folder: str) -> bool:
    """``path`` is ``folder`` or below it (both already real paths)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def check_output(out_path: str, root: str, scanned: bool) -> None:
    """Refuse an output that could clobber the images or other user data.

    Raises ValueError (one line, naming the path and the fix) when
    ``out_path`` is the image root, contains it, or (when ``scanned``, i.e.
    the root is a folder searched recursively) lies inside it; raises
    FileExistsError when it, or its work folder, exists and is not ours.
    """
    out = osp.realpath(out_path)
    real_root = osp.realpath(root)
    fix = 'choose an output path outside the image folder'
    if out == real_root:
        raise ValueError(f'output {out_path} is the image root {root}; {fix}')
    if _inside(real_root, out):
        raise ValueError(f'output {out_path} contains the image root {root};'
                         f' {fix}')
    if scanned and _inside(out, real_root):
        raise ValueError(f'output {out_path} is inside the image folder '
                         f'{root}, which is searched recursively; {fix}')
    why = replaceable(out_path)
    if why:
        raise FileExistsError(
            f'output {out_path} {why}; it is never overwritten: choose a new '
            'output path or remove it yourself')
    work_dir = out_path.rstrip('/') + WORK_SUFFIX
    if osp.lexists(work_dir) and not osp.isfile(
            osp.join(work_dir, 'manifest.json')) and (
            not osp.isdir(work_dir) or os.listdir(work_dir)):
        raise FileExistsError(
            f'{work_dir} (the work folder of output {out_path}) exists and '
            'is not a proposals work folder (no manifest.json); move it '
            'away or choose another output path')


# -------------------------------------------------------------- per image
_WORKER_CFG: dict = {}


def propose_image(path: str, spec: Union[str, FilterSpec] = 'ratio3size0308',
                  scale: float = 300, sigma: float = 0.9,
                  min_size: int = 100,
                  neighbours: str = 'touch_or_overlap'
                  ) -> Tuple[np.ndarray, int]:
    """Filtered proposals of one image file -> (float32 (N, 4), stage).

    Raises BadImage for files that cannot be used.
    """
    from .search import selective_search
    rgb = load_rgb(path)
    boxes = selective_search(rgb, scale, sigma, min_size,
                             neighbours=neighbours)
    return filter_boxes(boxes, (rgb.shape[1], rgb.shape[0]), spec)


def _init_worker(cfg: dict) -> None:
    import cv2
    cv2.setNumThreads(1)
    _WORKER_CFG.clear()
    _WORKER_CFG.update(cfg)


def _work(key: str):
    cfg = _WORKER_CFG
    try:
        boxes, stage = propose_image(
            osp.join(cfg['root'], key), cfg['spec'], cfg['scale'],
            cfg['sigma'], cfg['min_size'], cfg['neighbours'])
        return key, boxes, stage, ''
    except BadImage as e:
        return key, None, -1, str(e)
    except Exception as e:  # a bug or odd file: report it, keep going
        return key, None, -1, f'failed: {type(e).__name__}: {e}'


# ------------------------------------------------------------------ shards
def _shard_path(work_dir: str, c: int) -> str:
    return osp.join(work_dir, f'chunk-{c:06d}.npz')


def _save_shard(path: str, results: list) -> None:
    counts = np.array([0 if b is None else len(b) for _, b, _, _ in results],
                      np.int64)
    boxes = [b for _, b, _, _ in results if b is not None]
    tmp = path + f'.tmp-{os.getpid()}.npz'
    np.savez(tmp,
             keys=np.array([k for k, _, _, _ in results], dtype=str),
             counts=counts,
             boxes=(np.concatenate(boxes) if boxes
                    else np.zeros((0, 4), np.float32)).astype(np.float32),
             stages=np.array([s for _, _, s, _ in results], np.int64),
             reasons=np.array([r for _, _, _, r in results], dtype=str))
    fsync_path(tmp)
    os.replace(tmp, path)
    fsync_path(osp.dirname(path))


def _load_shard(path: str, keys: Sequence[str]) -> Optional[list]:
    """Results of a finished chunk, or None if its shard is unusable."""
    try:
        with np.load(path, allow_pickle=False) as z:
            if list(z['keys']) != list(keys):
                return None
            counts, stages = z['counts'], z['stages']
            parts = np.split(z['boxes'], np.cumsum(counts)[:-1])
            return [(k, None if s < 0 else b, int(s), str(r)) for k, b, s, r
                    in zip(keys, parts, stages, z['reasons'])]
    except Exception:
        return None


def _manifest(root, keys, spec, chunk_size, params) -> dict:
    digest = hashlib.sha256('\n'.join(keys).encode('utf-8')).hexdigest()
    return dict(image_root=osp.abspath(root), num_images=len(keys),
                keys_sha256=digest, chunk_size=chunk_size, filter=spec.name,
                stages=[repr(s) for s in spec.stages], **params)


def _diff(old: dict, new: dict) -> List[str]:
    return sorted(k for k in set(old) | set(new) if old.get(k) != new.get(k))


def _store_manifest(manifest: dict) -> dict:
    """What a finished store records: everything its content depends on
    (the chunk size only splits the work)."""
    return {k: v for k, v in manifest.items() if k != 'chunk_size'}


def _prepare_work_dir(work_dir: str, manifest: dict,
                      overwrite: bool = False, logger=None) -> None:
    mfile = osp.join(work_dir, 'manifest.json')
    if osp.isfile(mfile):
        try:
            with open(mfile) as f:
                old = json.load(f)
        except ValueError:
            old = {}
        if old == manifest:
            _clean_shard_temps(work_dir, logger)
            return
        if not overwrite:
            raise ValueError(
                f'{work_dir} holds an unfinished run with different settings '
                f'({", ".join(_diff(old, manifest))}); rerun with the same '
                'arguments to resume it, or pass --overwrite (overwrite=True)'
                ' to discard it and start over')
        _log(logger, f'overwrite: discarding the unfinished run in '
             f'{work_dir} (settings differ: '
             f'{", ".join(_diff(old, manifest))})')
        shutil.rmtree(work_dir)
    os.makedirs(work_dir, exist_ok=True)
    tmp = mfile + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    fsync_path(tmp)
    os.replace(tmp, mfile)
    fsync_path(work_dir)


def _clean_shard_temps(work_dir: str, logger=None) -> None:
    """Drop half-written shards (``chunk-*.npz.tmp-<pid>.npz``) of a killed
    run whose process is gone."""
    for name in sorted(os.listdir(work_dir)):
        head, sep, tail = name.partition('.npz.tmp-')
        pid = tail[:-len('.npz')] if tail.endswith('.npz') else ''
        if sep and head.startswith('chunk-') and pid.isdigit() \
                and not pid_alive(int(pid)):
            os.remove(osp.join(work_dir, name))
            _log(logger, f'removed a half-written shard of a killed run: '
                 f'{osp.join(work_dir, name)}')


# ---------------------------------------------------------------- progress
class Progress:
    """A plain 'done/total, rate, ETA' line, at most every ``every`` s."""

    def __init__(self, total: int, done: int = 0, every: float = 2.0,
                 stream=None, enabled: bool = True):
        self.total, self.done, self.bad = total, done, 0
        self.start_done, self.t0 = done, time.monotonic()
        self.every, self.last = every, 0.0
        self.stream = stream or sys.stderr
        self.enabled = enabled

    def update(self, n: int = 1, bad: int = 0) -> None:
        self.done += n
        self.bad += bad
        now = time.monotonic()
        if now - self.last >= self.every or self.done >= self.total:
            self.last = now
            self.print(now)

    def print(self, now: Optional[float] = None) -> None:
        if not self.enabled:
            return
        dt = max((now or time.monotonic()) - self.t0, 1e-9)
        rate = (self.done - self.start_done) / dt
        left = self.total - self.done
        eta = _fmt_s(left / rate) if rate > 0 else '?'
        pct = 100.0 * self.done / max(self.total, 1)
        self.stream.write(
            f'proposals: {self.done}/{self.total} images ({pct:.1f}%), '
            f'{rate:.2f} img/s, ETA {eta}, {self.bad} bad\n')
        self.stream.flush()


def _fmt_s(s: float) -> str:
    s = int(round(s))
    return f'{s // 3600}h{s % 3600 // 60:02d}m{s % 60:02d}s' if s >= 3600 \
        else f'{s // 60}m{s % 60:02d}s'


# -------------------------------------------------------------------- main
def generate_store(image_root_or_list: Union[str, Sequence[str]],
                   out_path: str,
                   workers: int = 1,
                   filter: Union[str, FilterSpec] = 'ratio3size0308',
                   image_root: Optional[str] = None,
                   chunk_size: int = 256,
                   scale: float = 300,
                   sigma: float = 0.9,
                   min_size: int = 100,
                   neighbours: str = 'touch_or_overlap',
                   progress: bool = True,
                   max_chunks: Optional[int] = None,
                   keep_work_dir: bool = False,
                   overwrite: bool = False,
                   logger=None) -> GenerateResult:
    """Compute selective-search proposals for a folder or list of images.

    Writes a ProposalStore at ``out_path`` (keys: paths relative to the image
    root, '/'-separated). Resumable: finished chunks in ``out_path + '.work'``
    are reused (resume is per chunk, see the module docstring).
    ``max_chunks`` computes at most that many new chunks and returns without
    building the store (``result.path is None``), which lets a long job run
    in time slices.

    Refused before any work (ValueError / FileExistsError, one line): an
    output that is, contains or (for an image folder) lies inside the image
    root, and an existing output that is not a proposal store. An existing
    complete store made with the same settings is kept and returned at once
    (``result.already_complete``); one made with other settings raises
    ValueError unless ``overwrite=True``, which recomputes and replaces it.
    """
    spec = get_filter(filter)
    check_output(out_path, *resolve_root(image_root_or_list, image_root))
    listing = list_images(image_root_or_list, image_root)
    root, keys = listing.root, sorted(listing.keys)
    if not keys:
        raise ValueError(f'no images found in {image_root_or_list} '
                         f'(extensions: {", ".join(IMAGE_EXTENSIONS)})')
    params = dict(scale=float(scale), sigma=float(sigma),
                  min_size=int(min_size), neighbours=neighbours)
    manifest = _manifest(root, keys, spec, chunk_size, params)
    for path in clean_stale_temps(out_path):
        _log(logger, f'removed {path}, left by an interrupted write of '
             f'{out_path}')
    if is_store(out_path):
        done = _existing_store(out_path, manifest, overwrite, logger)
        if done is not None:
            return done
    work_dir = out_path.rstrip('/') + WORK_SUFFIX
    _prepare_work_dir(work_dir, manifest, overwrite, logger)
    chunks = [keys[i:i + chunk_size] for i in range(0, len(keys), chunk_size)]
    done = {c: r for c in range(len(chunks))
            if osp.isfile(_shard_path(work_dir, c))
            and (r := _load_shard(_shard_path(work_dir, c), chunks[c]))
            is not None}
    todo = [c for c in range(len(chunks)) if c not in done]
    if max_chunks is not None:
        todo = todo[:max_chunks]
    result = GenerateResult(None, len(keys), bad=list(listing.skipped),
                            reused_chunks=len(done))
    prog = Progress(len(keys), sum(len(chunks[c]) for c in done),
                    enabled=progress)
    if done:
        _log(logger, f'resuming: {len(done)}/{len(chunks)} chunks already '
             f'done in {work_dir}')
    cfg = dict(root=root, spec=spec, **params)
    for c, results in _run_chunks(chunks, todo, cfg, workers, prog):
        _save_shard(_shard_path(work_dir, c), results)
        done[c] = results
        result.computed_chunks += 1
    if len(done) < len(chunks):
        return result
    return _finish(out_path, work_dir, root, chunks, done, spec, params,
                   manifest, result, keep_work_dir, logger)


def _existing_store(out_path, manifest, overwrite,
                    logger) -> Optional[GenerateResult]:
    """A result for a complete store with the same settings; None to
    (re)compute it (``overwrite``); ValueError when the settings differ."""
    meta = read_meta(out_path) or {}
    recorded = meta.get('manifest')
    if overwrite:
        _log(logger, f'overwrite: recomputing the existing store {out_path}')
        return None
    fix = ('choose another output path, or pass --overwrite '
           '(overwrite=True) to replace it')
    if not isinstance(recorded, dict):
        raise ValueError(f'output {out_path} is a proposal store whose '
                         f'settings were not recorded; {fix}')
    diff = _diff(recorded, _store_manifest(manifest))
    if diff:
        raise ValueError(
            f'output {out_path} is a finished proposal store made with '
            f'different settings ({", ".join(diff)}); {fix}')
    res = GenerateResult(out_path, manifest['num_images'],
                         already_complete=True)
    try:
        with open(osp.join(out_path, 'report.json')) as f:
            report = json.load(f)
        res.bad = [(b['key'], b['reason']) for b in report['bad_files']]
        res.stage_counts = dict(report['stage_counts'])
    except (OSError, ValueError, KeyError, TypeError):
        pass
    _log(logger, f'proposal store {out_path} is already complete with these '
         f'settings ({manifest["num_images"]} images, filter '
         f'{manifest["filter"]}): nothing to do (--overwrite recomputes it)')
    return res


def _run_chunks(chunks, todo, cfg, workers, prog):
    """Yield (chunk index, results) for each chunk in ``todo``, in order."""
    if not todo:
        return
    from .search import selective_search
    selective_search(np.zeros((4, 4, 3), np.uint8))  # compile before fork
    items = [k for c in todo for k in chunks[c]]
    if workers <= 1:
        _init_worker(cfg)
        stream = map(_work, items)
        pool = None
    else:
        pool = mp.get_context('fork').Pool(workers, _init_worker, (cfg, ))
        stream = pool.imap(_work, items, chunksize=2)
    try:
        it = iter(stream)
        for c in todo:
            results = []
            for _ in chunks[c]:
                r = next(it)
                results.append(r)
                prog.update(1, bad=int(r[1] is None))
            yield c, results
    finally:
        if pool is not None:
            pool.terminate()
            pool.join()


def _finish(out_path, work_dir, root, chunks, done, spec, params, manifest,
            result, keep_work_dir, logger) -> GenerateResult:
    keys, boxes, stages = [], [], {}
    names = [f'stage{i}' for i in range(len(spec.stages))] + ['whole_image']
    for c in range(len(chunks)):
        for key, b, stage, reason in done[c]:
            if b is None:
                result.bad.append((key, reason))
                continue
            keys.append(key)
            boxes.append(b)
            stages[names[stage]] = stages.get(names[stage], 0) + 1
    result.stage_counts = {n: stages.get(n, 0) for n in names}
    report = dict(num_images=result.num_images, num_stored=len(keys),
                  num_bad=len(result.bad), stage_counts=result.stage_counts,
                  bad_files=[dict(key=k, reason=r) for k, r in result.bad])
    meta = dict(filter=spec.name, stages=[repr(s) for s in spec.stages],
                selective_search=params, image_root=osp.abspath(root),
                manifest=_store_manifest(manifest))
    bad_txt = ''.join(f'{k}\t{r}\n' for k, r in result.bad)
    write_store(out_path, keys, boxes, meta, extra_files={
        'report.json': json.dumps(report, indent=1, sort_keys=True),
        'bad_files.txt': bad_txt})
    result.path = out_path
    if not keep_work_dir:
        shutil.rmtree(work_dir, ignore_errors=True)
    nbox = sum(len(b) for b in boxes)
    _log(logger, f'proposal store {out_path}: {len(keys)} images, '
         f'{nbox / max(len(keys), 1):.1f} boxes/img, fallbacks '
         f'{result.stage_counts}, {len(result.bad)} bad files')
    for k, r in result.bad[:20]:
        _log(logger, f'  bad file {k}: {r}')
    if len(result.bad) > 20:
        _log(logger, f'  ... {len(result.bad) - 20} more in '
             f'{osp.join(out_path, "bad_files.txt")}')
    return result


def _log(logger, msg: str) -> None:
    if logger is None:
        print(msg, file=sys.stderr, flush=True)
    else:
        logger.info(msg)


__all__ = ['generate_store', 'propose_image', 'check_output',
           'GenerateResult', 'Progress']
