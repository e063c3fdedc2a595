"""Resumable, multi-process, shardable generation of a ProposalStore.

Images are processed in fixed chunks (by sorted key, ``chunk_size`` images,
default 256); each finished chunk is written atomically to ``OUT.work/``
(:mod:`.workdir`). Rerunning the same command skips the chunks already there
and the final store is byte-identical to an uninterrupted run. Resume is
per chunk: a kill loses the images done in the chunks in progress. Once
every chunk is done the store is assembled (:mod:`.assemble`, published
atomically) and only then the work folder removed, manifest last: a kill at
any point leaves a resumable work folder or a complete store, and a rerun
finishes the clean-up. Unreadable files are listed with their reason in
``OUT/bad_files.txt`` and ``report.json`` and left out of the store.

Workers are child processes watched by :class:`.worker.WorkerPool`: one
that dies (e.g. the OOM killer) is replaced and its image retried, then
reported bad. Images over ``max_pixels`` are segmented downsized.

One run per output: a whole run (or the merge) holds ``OUT.lock``; shard
``I/N`` (``shard=(I, N)``) holds ``OUT.work/lock-shard-I-of-N`` while it
computes its share of the chunks (a contiguous block, by key order, sizes
within one chunk of each other). Shards run concurrently; the last one to
finish (or ``merge=True``) assembles the store under ``OUT.lock``, byte for
byte the store of a single run.

Safety (:func:`.output.check_output`): an output that is, contains or (for a
scanned folder) lies inside the image root is refused, and so is an
existing path that is not a proposal store. A finished store records its
settings (``meta.json`` ``manifest``) and each image's size, file size and
mtime (``image_stats.npy``): a rerun with the same settings on unchanged
images returns at once; other settings or changed images stop with one line
giving the full command that fixes it (``--overwrite`` only where it
replaces the store made for these images).
"""
from typing import Optional, Sequence, Tuple, Union

from mmsoco.image_set import IMAGE_EXTENSIONS, list_images, resolve_root
from mmsoco.proposals.algorithm.filters import FilterSpec, get_filter
from mmsoco.proposals.store import is_store
from mmsoco.proposals.store.publish import clean_stale_temps
from .assemble import GenerateResult, assemble, existing_store
from .inputs import DEFAULT_MAX_PIXELS, Job, check_params, shard_chunks
from .lock import LockBusy, RunLock, holder_of
from .output import check_output
from .progress import Progress, log
from .worker import WorkerPool, propose_image
from .workdir import WorkDir


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
                   max_pixels: int = DEFAULT_MAX_PIXELS,
                   shard: Optional[Tuple[int, int]] = None,
                   merge: bool = False,
                   worker_retries: int = 2,
                   image_timeout: float = 900.0,
                   logger=None) -> GenerateResult:
    """Compute selective-search proposals for a folder or list of images.

    Writes a ProposalStore at ``out_path`` (keys: paths relative to the image
    root, '/'-separated); see the module docstring for resume, workers,
    shards and safety. ``workers`` child processes (0: in this process,
    unprotected; a worker that dies or gives no result for an image within
    ``image_timeout`` s is replaced and the image retried
    ``worker_retries`` times, then recorded bad); ``max_chunks`` computes at most that many new chunks and
    returns without building the store (``result.path is None``), as does a
    shard whose siblings are not done. An existing complete store made with
    the same settings is returned at once (``result.already_complete``);
    ``overwrite=True`` recomputes and replaces a store made otherwise (or
    from changed images) and discards an unfinished run made otherwise.
    Bad input raises ValueError / FileExistsError / LockBusy (one line).
    """
    spec = get_filter(filter)
    check_params(scale, sigma, min_size, chunk_size, workers, max_pixels,
                 max_chunks, shard)
    check_output(out_path, *resolve_root(image_root_or_list, image_root),
                 overwrite=overwrite)
    listing = list_images(image_root_or_list, image_root)
    if not listing.keys:
        raise ValueError(f'no images found in {image_root_or_list} '
                         f'(extensions: {", ".join(IMAGE_EXTENSIONS)})')
    params = dict(scale=float(scale), sigma=float(sigma),
                  min_size=int(min_size), neighbours=neighbours,
                  max_pixels=int(max_pixels))
    options = dict(params, image_root=image_root, filter=spec.name,
                   chunk_size=chunk_size)
    job = Job(image_root_or_list, out_path, listing.root,
              sorted(listing.keys), spec, params, chunk_size, options,
              list(listing.skipped))
    for path in clean_stale_temps(out_path):
        log(logger, f'removed {path}, left by an interrupted write of '
            f'{out_path}')
    run = _Run(job, workers, dict(retries=worker_retries,
                                  image_timeout=image_timeout),
               progress, logger)
    if shard is not None:
        return run.shard(shard, overwrite, max_chunks)
    with RunLock(out_path.rstrip('/') + '.lock', 'merge' if merge else 'run',
                 what=f'output {out_path}', logger=logger, wait_s=30,
                 wait_roles=('prepare', )):
        if merge:
            return run.merge(overwrite, keep_work_dir)
        return run.whole(overwrite, max_chunks, keep_work_dir)


class _Run:
    """The steps of one call, sharing its job and settings."""

    def __init__(self, job: Job, workers, pool_kw, progress, logger):
        self.job, self.workers, self.pool_kw = job, workers, pool_kw
        self.progress, self.logger = progress, logger
        self.work = WorkDir(job.out)
        self.lock_path = job.out.rstrip('/') + '.lock'

    def _store_done(self, overwrite, keep_same=False):
        if not is_store(self.job.out):
            return None
        done = existing_store(self.job, overwrite, self.logger, keep_same)
        if done is not None:  # a kill after publishing left the work folder
            self.work.remove(self.logger)
        return done

    def whole(self, overwrite, max_chunks, keep_work_dir) -> GenerateResult:
        done = self._store_done(overwrite)
        if done is not None:
            return done
        live = self.work.live_shards()
        if live:
            raise LockBusy(self.work.path, None,
                           f'output {self.job.out} (being computed by '
                           f'{", ".join(live)})')
        self.work.prepare(self.job.settings(), overwrite, self.job,
                          self.logger)
        chunks = self.job.chunks
        result = self._compute(range(len(chunks)), max_chunks)
        if result.reused_chunks + result.computed_chunks < len(chunks):
            return result
        return self._assemble(result, keep_work_dir)

    def shard(self, shard, overwrite, max_chunks) -> GenerateResult:
        i, n = shard
        with RunLock(self.lock_path, 'prepare', f'output {self.job.out}',
                     self.logger, wait_s=30, wait_roles=('prepare', 'merge')):
            done = self._store_done(overwrite, keep_same=True)
            if done is not None:
                return done
            self.work.prepare(self.job.settings(), overwrite, self.job,
                              self.logger)
            mine = RunLock(self.work.shard_lock_path(i, n), f'shard {i}/{n}',
                           f'shard {i}/{n} of {self.job.out}',
                           self.logger).acquire()
        try:
            c = len(self.job.chunks)
            result = self._compute(shard_chunks(c, i, n), max_chunks)
        finally:
            mine.release()
        missing = self._missing()
        if missing:
            log(self.logger, f'shard {i}/{n} of {self.job.out} is done; '
                f'{len(missing)} chunks of other shards are not: the last '
                'shard to finish assembles the store (or run: '
                f'{self.job.command("--merge")})')
            return result
        try:
            with RunLock(self.lock_path, 'merge', f'output {self.job.out}',
                         self.logger, wait_s=30, wait_roles=('prepare', )):
                merged = self.merge(overwrite, False, keep_same=True)
        except LockBusy as e:
            log(self.logger, f'shard {i}/{n} is done; the store is being '
                f'assembled by PID {e.holder.get("pid")}')
            return result
        merged.computed_chunks = result.computed_chunks
        return merged

    def merge(self, overwrite, keep_work_dir, keep_same=False
              ) -> GenerateResult:
        done = self._store_done(overwrite, keep_same)
        if done is not None:
            return done
        missing = self._missing()
        if missing:
            raise ValueError(
                f'cannot assemble {self.job.out}: {len(missing)} of '
                f'{len(self.job.chunks)} chunks are not computed yet (first:'
                f' chunk {missing[0]}, in {self.work.path}); run the missing '
                f'shards, or the whole job: {self.job.command()}')
        result = GenerateResult(None, len(self.job.keys),
                                reused_chunks=len(self.job.chunks))
        return self._assemble(result, keep_work_dir)

    def _missing(self):
        chunks = self.job.chunks
        if not self.work.is_ours():
            return list(range(len(chunks)))
        return [c for c in range(len(chunks))
                if c not in self.work.finished(chunks, [c])]

    def _compute(self, which, max_chunks) -> GenerateResult:
        job, work = self.job, self.work
        chunks = job.chunks
        done = work.finished(chunks, which)
        todo = [c for c in which if c not in done]
        if max_chunks is not None:
            todo = todo[:max_chunks]
        result = GenerateResult(None, len(job.keys), bad=list(job.skipped),
                                reused_chunks=len(done))
        if done:
            log(self.logger, f'resuming: {len(done)}/{len(which)} chunks '
                f'already done in {work.path}')
        if not todo:
            return result
        prog = Progress(sum(len(chunks[c]) for c in which),
                        sum(len(chunks[c]) for c in done),
                        enabled=self.progress)
        cfg = dict(root=job.root, spec=job.spec, **job.params)
        pool = WorkerPool(cfg, self.workers, logger=self.logger,
                          **self.pool_kw)
        items = [((c, j), k) for c in todo for j, k in enumerate(chunks[c])]
        partial = {c: [None] * len(chunks[c]) for c in todo}
        left = {c: len(chunks[c]) for c in todo}
        for (c, j), r in pool.run(items):
            partial[c][j] = r
            left[c] -= 1
            prog.update(1, bad=int(r.boxes is None))
            if not left[c]:
                work.save_chunk(c, partial.pop(c))
                result.computed_chunks += 1
        return result

    def _assemble(self, result, keep_work_dir) -> GenerateResult:
        chunks = self.job.chunks
        done = self.work.finished(chunks)
        if len(done) < len(chunks):
            raise RuntimeError(f'chunks vanished from {self.work.path} '
                               'while assembling; rerun the same command')
        assemble(self.job, [done[c] for c in range(len(chunks))], result,
                 self.logger)
        if not keep_work_dir:
            self.work.remove(self.logger)
        return result


__all__ = ['generate_store']
