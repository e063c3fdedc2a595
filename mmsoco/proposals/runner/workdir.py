"""The work folder ``OUT.work`` of a run: finished chunks, kept until the
store is built.

Layout::

    manifest.json            who made it (this tool, for which output) and
                             the settings the chunks were computed with
    chunk-000012.npz         the results of chunk 12 (keys, boxes, stages,
                             reasons, image stats), written atomically
    lock-shard-1-of-4        held while shard 1/4 computes its chunks

Only a folder whose manifest names this tool and this output is ever
deleted, and only the files of the layout above: anything else in it is
left alone and stops the deletion. Deletion removes the manifest last, so a
kill half-way leaves a folder that is still recognised as ours.
"""
import json
import os
import os.path as osp
import re
from typing import Dict, List, Optional, Sequence

import numpy as np

from mmsoco.utils.atomic import atomic_file, atomic_write, is_stale_temp
from .inputs import diff
from .lock import holder_of
from .progress import log
from .worker import ImageResult

WORK_SUFFIX = '.work'
MARK = 'mmsoco-proposals-work'
_OURS = re.compile(
    r'chunk-\d{6}\.npz|lock-shard-\d+-of-\d+|manifest\.json'
    r'|\.(chunk-\d{6}\.npz|manifest\.json)\.tmp-\d+-[0-9a-f]+\.(npz|json)')


def output_id(out: str) -> str:
    """The output's path as recorded in its work folder."""
    out = osp.abspath(out.rstrip('/') or '/')
    return osp.join(osp.realpath(osp.dirname(out)), osp.basename(out))


class WorkDir:

    def __init__(self, out: str):
        self.out = out
        self.path = out.rstrip('/') + WORK_SUFFIX
        self.manifest_file = osp.join(self.path, 'manifest.json')

    # -- ownership
    def record(self) -> Optional[dict]:
        try:
            with open(self.manifest_file) as f:
                rec = json.load(f)
        except (OSError, ValueError):
            return None
        return rec if isinstance(rec, dict) else None

    def is_ours(self) -> bool:
        rec = self.record() or {}
        return rec.get('made_by') == MARK and \
            rec.get('output') == output_id(self.out)

    def foreign(self) -> List[str]:
        """Entries that are not part of the layout."""
        try:
            return sorted(n for n in os.listdir(self.path)
                          if not _OURS.fullmatch(n))
        except OSError:
            return []

    def check_not_foreign(self) -> None:
        """FileExistsError unless the work folder is absent, empty or one
        this tool made for this output."""
        p = self.path
        if not osp.lexists(p):
            return
        if osp.isdir(p) and not osp.islink(p):
            if not self.foreign() and (
                    self.is_ours() or not osp.lexists(self.manifest_file)):
                return  # ours, or being created (manifest not yet in)
            if self.is_ours():
                self._check_only_ours()
        rec = self.record() or {}
        why = (f'was made for output {rec["output"]}'
               if rec.get('made_by') == MARK else
               'is not a proposals work folder made for it (no matching '
               'manifest.json)')
        raise FileExistsError(
            f'{p} (the work folder of output {self.out}) exists and {why}; '
            'move it away or choose another output path')

    # -- settings
    def prepare(self, settings: dict, overwrite: bool, job,
                logger=None) -> None:
        """Create the folder for ``settings``, or check that the unfinished
        run in it used them (``overwrite``: discard it when not)."""
        rec = self.record()
        if rec is not None:
            old = rec.get('settings') or {}
            if old == settings:
                self._clean_temps(logger)
                return
            changed = ', '.join(diff(old, settings))
            if not overwrite:
                raise ValueError(
                    f'{self.path} holds an unfinished run with different '
                    f'settings ({changed}); rerun it with its own settings '
                    f'to resume it, or discard it and start over with: '
                    f'{job.command("--overwrite")}')
            live = self.live_shards()
            if live:
                raise ValueError(f'{self.path} is in use by {live[0]}; '
                                 'wait for it before discarding the run')
            self._check_only_ours()
            log(logger, f'overwrite: discarding the unfinished run in '
                f'{self.path} (settings differ: {changed})')
            self.remove(logger, strict=True)
        os.makedirs(self.path, exist_ok=True)
        atomic_write(self.manifest_file, json.dumps(
            dict(made_by=MARK, output=output_id(self.out),
                 settings=settings), indent=1, sort_keys=True))
        if (self.record() or {}).get('settings') != settings:
            raise ValueError(f'{self.path} was just prepared by another run '
                             'with different settings; run one at a time')

    def _clean_temps(self, logger) -> None:
        """Drop half-written files of killed runs."""
        for name in sorted(os.listdir(self.path)):
            if _OURS.fullmatch(name) and is_stale_temp(name):
                os.remove(osp.join(self.path, name))
                log(logger, 'removed a half-written file of a killed run: '
                    f'{osp.join(self.path, name)}')

    # -- chunks
    def chunk_path(self, c: int) -> str:
        return osp.join(self.path, f'chunk-{c:06d}.npz')

    def save_chunk(self, c: int, results: Sequence[ImageResult]) -> None:
        boxes = [r.boxes for r in results if r.boxes is not None]
        with atomic_file(self.chunk_path(c)) as tmp:
            np.savez(
                tmp, keys=np.array([r.key for r in results], dtype=str),
                counts=np.array([0 if r.boxes is None else len(r.boxes)
                                 for r in results], np.int64),
                boxes=(np.concatenate(boxes) if boxes else
                       np.zeros((0, 4), np.float32)).astype(np.float32),
                stages=np.array([r.stage for r in results], np.int64),
                reasons=np.array([r.reason for r in results], dtype=str),
                stats=np.array([r.stats for r in results],
                               np.int64).reshape(-1, 4),
                downsized=np.array([r.downsized for r in results], bool))

    def load_chunk(self, c: int, keys: Sequence[str]
                   ) -> Optional[List[ImageResult]]:
        """Results of a finished chunk, or None if it is absent or
        unusable (then it is computed again)."""
        try:
            with np.load(self.chunk_path(c), allow_pickle=False) as z:
                if list(z['keys']) != list(keys):
                    return None
                counts = z['counts']
                parts = np.split(z['boxes'], np.cumsum(counts)[:-1])
                return [ImageResult(k, None if s < 0 else b, int(s), str(r),
                                    st, bool(d)) for k, b, s, r, st, d in
                        zip(keys, parts, z['stages'], z['reasons'],
                            z['stats'], z['downsized'])]
        except Exception:
            return None

    def finished(self, chunks: Sequence[Sequence[str]],
                 which: Optional[Sequence[int]] = None
                 ) -> Dict[int, List[ImageResult]]:
        which = range(len(chunks)) if which is None else which
        out = {}
        for c in which:
            if osp.isfile(self.chunk_path(c)):
                r = self.load_chunk(c, chunks[c])
                if r is not None:
                    out[c] = r
        return out

    # -- shard locks
    def shard_lock_path(self, i: int, n: int) -> str:
        return osp.join(self.path, f'lock-shard-{i}-of-{n}')

    def live_shards(self) -> List[str]:
        """'shard I/N (PID p on host)' for each shard lock held now."""
        live = []
        for name in sorted(os.listdir(self.path)) if osp.isdir(
                self.path) else []:
            m = re.fullmatch(r'lock-shard-(\d+)-of-(\d+)', name)
            h = holder_of(osp.join(self.path, name)) if m else None
            if h is not None:
                live.append(f'shard {m.group(1)}/{m.group(2)} (PID '
                            f'{h.get("pid")} on {h.get("host")})')
        return live

    # -- removal
    def _check_only_ours(self) -> None:
        foreign = self.foreign()
        if foreign:
            raise FileExistsError(
                f'{self.path} holds files this tool did not write '
                f'({", ".join(foreign[:3])}); move them away, then rerun')

    def remove(self, logger=None, strict: bool = False) -> bool:
        """Delete the folder if it is ours, manifest last. Foreign entries
        are left (FileExistsError when ``strict``); returns whether the
        folder is gone."""
        if not osp.isdir(self.path) or osp.islink(self.path):
            return not osp.lexists(self.path)
        if not self.is_ours() and os.listdir(self.path):
            if strict:
                self.check_not_foreign()
            return False
        if strict:
            self._check_only_ours()
        foreign = self.foreign()
        names = sorted(set(os.listdir(self.path)) - set(foreign))
        names.sort(key=lambda n: n == 'manifest.json')  # manifest last
        for name in names:
            try:
                os.remove(osp.join(self.path, name))
            except FileNotFoundError:
                pass
        if foreign:
            log(logger, f'left {self.path}: it holds files this tool did not'
                f' write ({", ".join(foreign[:3])})')
            return False
        try:
            os.rmdir(self.path)
        except OSError:
            return False
        return True


__all__ = ['WorkDir', 'WORK_SUFFIX', 'output_id']
