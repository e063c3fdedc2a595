"""The store side of a run: assemble the store from finished chunks, and
judge a store that is already there (complete, made otherwise, or made from
images that changed since)."""
import json
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmsoco.image_set import path_in_root
from mmsoco.proposals.store import ProposalStore, read_meta, write_store
from .inputs import Job, diff
from .progress import log
from .worker import ImageResult


@dataclass
class GenerateResult:
    path: Optional[str]  # None when the store was not built by this call
    num_images: int
    bad: List[Tuple[str, str]] = field(default_factory=list)
    computed_chunks: int = 0
    reused_chunks: int = 0
    stage_counts: Dict[str, int] = field(default_factory=dict)
    already_complete: bool = False  # the store was there with these settings
    num_downsized: int = 0  # images segmented below max_pixels


def assemble(job: Job, chunks: Sequence[Sequence[ImageResult]],
             result: GenerateResult, logger=None) -> GenerateResult:
    """Write the store from every chunk's results (in chunk order)."""
    keys, boxes, stats, stages = [], [], [], {}
    names = [f'stage{i}' for i in range(len(job.spec.stages))] + \
        ['whole_image']
    result.bad = list(job.skipped)
    for results in chunks:
        for r in results:
            if r.boxes is None:
                result.bad.append((r.key, r.reason))
                continue
            keys.append(r.key)
            boxes.append(r.boxes)
            stats.append(r.stats)
            result.num_downsized += int(r.downsized)
            stages[names[r.stage]] = stages.get(names[r.stage], 0) + 1
    result.stage_counts = {n: stages.get(n, 0) for n in names}
    report = dict(num_images=result.num_images, num_stored=len(keys),
                  num_bad=len(result.bad), stage_counts=result.stage_counts,
                  num_downsized=result.num_downsized,
                  max_pixels=job.params['max_pixels'],
                  bad_files=[dict(key=k, reason=r) for k, r in result.bad])
    sel = {k: v for k, v in job.params.items() if k != 'max_pixels'}
    meta = dict(filter=job.spec.name,
                stages=[repr(s) for s in job.spec.stages],
                selective_search=sel, image_root=osp.abspath(job.root),
                manifest=job.store_settings())
    write_store(job.out, keys, boxes, meta, extra_files={
        'report.json': json.dumps(report, indent=1, sort_keys=True),
        'bad_files.txt': ''.join(f'{k}\t{r}\n' for k, r in result.bad)},
        image_stats=np.array(stats, np.int64).reshape(-1, 4))
    result.path = job.out
    nbox = sum(len(b) for b in boxes)
    log(logger, f'proposal store {job.out}: {len(keys)} images, '
        f'{nbox / max(len(keys), 1):.1f} boxes/img, fallbacks '
        f'{result.stage_counts}, {result.num_downsized} downsized to '
        f'{job.params["max_pixels"]} pixels, {len(result.bad)} bad files')
    for k, r in result.bad[:20]:
        log(logger, f'  bad file {k}: {r}')
    if len(result.bad) > 20:
        log(logger, f'  ... {len(result.bad) - 20} more in '
            f'{osp.join(job.out, "bad_files.txt")}')
    return result


def changed_images(store: ProposalStore, root: str
                   ) -> Tuple[int, Optional[str]]:
    """(how many stored images differ from their recorded file size or
    mtime, an example 'KEY: what changed'). A key outside ``root`` raises
    OutsideRootError before anything is looked up."""
    if not store.has_image_stats:
        return 0, None
    n, example = 0, None
    for i, key in enumerate(store.keys()):
        _, _, size, mtime = (int(v) for v in store.image_stats_at(i))
        try:
            st = os.stat(path_in_root(key, root, store.path))
            what = (f'size {size} -> {st.st_size} bytes'
                    if st.st_size != size else
                    'modified since' if st.st_mtime_ns != mtime else None)
        except OSError:
            what = 'missing'
        if what:
            n += 1
            example = example or f'{key}: {what}'
    return n, example


def existing_store(job: Job, overwrite: bool, logger=None,
                   keep_same: bool = False) -> Optional[GenerateResult]:
    """A result for a complete store made with these settings from these
    images; None to (re)compute it (``overwrite``, unless ``keep_same``
    and the store is up to date); ValueError (one line) otherwise."""
    recorded = (read_meta(job.out) or {}).get('manifest')
    same = isinstance(recorded, dict) and \
        not diff(recorded, job.store_settings())
    if same:
        n, example = changed_images(ProposalStore(job.out), job.root)
        if n and not overwrite:
            raise ValueError(
                f'output {job.out} is a finished proposal store, but {n} of '
                f'its images changed since it was made (e.g. {example}); '
                f'recompute it with: {job.command("--overwrite")}')
        if not n and (keep_same or not overwrite):
            return _complete(job, logger)
    if overwrite:
        log(logger, f'overwrite: recomputing the existing store {job.out}')
        return None
    if not isinstance(recorded, dict):
        raise ValueError(
            f'output {job.out} is a proposal store whose settings were not '
            'recorded; choose another output path, or pass --overwrite to '
            f'replace it: {job.command("--overwrite")}')
    changed = diff(recorded, job.store_settings())
    if {'keys_sha256', 'num_images'} & set(changed):
        raise ValueError(
            f'output {job.out} is a finished proposal store made with '
            f'different settings ({", ".join(changed)}): it was made for '
            'other images, so it is kept; choose another output path: '
            f'{job.command(out=job.free_output())}')
    raise ValueError(
        f'output {job.out} is a finished proposal store made with different'
        f' settings ({", ".join(changed)}); choose another output path, or '
        f'pass --overwrite to replace it: {job.command("--overwrite")}')


def _complete(job: Job, logger) -> GenerateResult:
    res = GenerateResult(job.out, len(job.keys), already_complete=True)
    try:
        with open(osp.join(job.out, 'report.json')) as f:
            report = json.load(f)
        res.bad = [(b['key'], b['reason']) for b in report['bad_files']]
        res.stage_counts = dict(report['stage_counts'])
        res.num_downsized = int(report.get('num_downsized', 0))
    except (OSError, ValueError, KeyError, TypeError):
        pass
    log(logger, f'proposal store {job.out} is already complete with these '
        f'settings ({len(job.keys)} images, filter {job.spec.name}): '
        'nothing to do (--overwrite recomputes it)')
    return res


__all__ = ['GenerateResult', 'assemble', 'existing_store', 'changed_images']
