"""Resumable, multi-process generation of a ProposalStore.

Images are processed in fixed chunks (by sorted key); each finished chunk is
written atomically as a shard file in ``<out>.work/``. Rerunning the same
command skips the shards already there, so a killed run loses at most the
chunks in flight and the final store is byte-identical to an uninterrupted
run. Once every chunk is done the shards are merged into the store (atomic
rename) and the work folder is removed. Unreadable, truncated or corrupt
files are counted, listed with their reason in ``<store>/bad_files.txt`` and
``report.json``, and left out of the store; the run carries on.
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

from .filters import FilterSpec, filter_boxes, get_filter
from .image_io import IMAGE_EXTENSIONS, BadImage, load_rgb
from .store import write_store

WORK_SUFFIX = '.work'


@dataclass
class GenerateResult:
    path: Optional[str]  # None when stopped early (max_chunks)
    num_images: int
    bad: List[Tuple[str, str]] = field(default_factory=list)
    computed_chunks: int = 0
    reused_chunks: int = 0
    stage_counts: Dict[str, int] = field(default_factory=dict)


# ------------------------------------------------------------------ inputs
def list_images(root: str) -> List[str]:
    """Image files under ``root`` (recursive), as sorted '/'-joined keys."""
    if not osp.isdir(root):
        raise FileNotFoundError(f'image root {root} is not a folder')
    keys = []
    for dirpath, dirnames, filenames in os.walk(root, followlinks=True):
        dirnames.sort()
        for name in filenames:
            if name.lower().endswith(IMAGE_EXTENSIONS):
                rel = osp.relpath(osp.join(dirpath, name), root)
                keys.append(rel.replace(os.sep, '/'))
    return sorted(keys)


def resolve_inputs(image_root_or_list: Union[str, Sequence[str]],
                   image_root: Optional[str] = None
                   ) -> Tuple[str, List[str]]:
    """-> (image root, sorted unique keys relative to it).

    Accepts an image folder, a text file with one path per line (relative to
    ``image_root``, default the list file's folder; absolute paths allowed),
    or a Python sequence of such paths.
    """
    if isinstance(image_root_or_list, str) and osp.isdir(image_root_or_list):
        return image_root_or_list, list_images(image_root_or_list)
    if isinstance(image_root_or_list, str):
        if not osp.isfile(image_root_or_list):
            raise FileNotFoundError(
                f'{image_root_or_list} is neither an image folder nor a '
                'file list')
        with open(image_root_or_list) as f:
            paths = [ln.strip() for ln in f if ln.strip()
                     and not ln.lstrip().startswith('#')]
        root = image_root or osp.dirname(osp.abspath(image_root_or_list))
    else:
        paths = list(image_root_or_list)
        root = image_root or os.getcwd()
    keys = []
    for p in paths:
        rel = osp.relpath(p, root) if osp.isabs(p) else osp.normpath(p)
        if rel.startswith('..'):
            raise ValueError(f'{p} is outside the image root {root}; pass '
                             'image_root= (--image-root) containing it')
        keys.append(rel.replace(os.sep, '/'))
    return root, sorted(set(keys))


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
    os.replace(tmp, path)


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


def _prepare_work_dir(work_dir: str, manifest: dict) -> None:
    mfile = osp.join(work_dir, 'manifest.json')
    if osp.isfile(mfile):
        with open(mfile) as f:
            old = json.load(f)
        if old != manifest:
            diff = sorted(k for k in set(old) | set(manifest)
                          if old.get(k) != manifest.get(k))
            raise ValueError(
                f'{work_dir} holds an unfinished run with different settings '
                f'({", ".join(diff)}); rerun with the same arguments to '
                'resume it, or delete that folder to start over')
        return
    os.makedirs(work_dir, exist_ok=True)
    tmp = mfile + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(manifest, f, indent=1, sort_keys=True)
    os.replace(tmp, mfile)


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
                   logger=None) -> GenerateResult:
    """Compute selective-search proposals for a folder or list of images.

    Writes a ProposalStore at ``out_path`` (keys: paths relative to the image
    root, '/'-separated). Resumable: finished chunks in ``out_path + '.work'``
    are reused. ``max_chunks`` computes at most that many new chunks and
    returns without building the store (``result.path is None``), which
    lets a long job run in time slices.
    """
    spec = get_filter(filter)
    root, keys = resolve_inputs(image_root_or_list, image_root)
    if not keys:
        raise ValueError(f'no images found in {image_root_or_list} '
                         f'(extensions: {", ".join(IMAGE_EXTENSIONS)})')
    params = dict(scale=float(scale), sigma=float(sigma),
                  min_size=int(min_size), neighbours=neighbours)
    work_dir = out_path.rstrip('/') + WORK_SUFFIX
    _prepare_work_dir(work_dir, _manifest(root, keys, spec, chunk_size,
                                          params))
    chunks = [keys[i:i + chunk_size] for i in range(0, len(keys), chunk_size)]
    done = {c: r for c in range(len(chunks))
            if osp.isfile(_shard_path(work_dir, c))
            and (r := _load_shard(_shard_path(work_dir, c), chunks[c]))
            is not None}
    todo = [c for c in range(len(chunks)) if c not in done]
    if max_chunks is not None:
        todo = todo[:max_chunks]
    result = GenerateResult(None, len(keys), reused_chunks=len(done))
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
                   result, keep_work_dir, logger)


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


def _finish(out_path, work_dir, root, chunks, done, spec, params, result,
            keep_work_dir, logger) -> GenerateResult:
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
                selective_search=params, image_root=osp.abspath(root))
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


__all__ = ['generate_store', 'propose_image', 'list_images',
           'resolve_inputs', 'GenerateResult', 'Progress']
