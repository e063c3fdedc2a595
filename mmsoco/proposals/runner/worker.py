"""Per-image work and the worker processes that do it.

``propose_file`` turns one image file into its filtered boxes (an image over
``max_pixels`` is segmented downsized and its boxes mapped back to original
pixels). ``WorkerPool`` runs it in child processes it manages itself, one
image at a time per worker, and watches each worker's process: a worker
that dies (the kernel's OOM killer sends SIGKILL) is replaced, its image is
tried again up to ``retries`` times and then reported bad with the reason,
so no worker death can make the run wait forever; a worker with no
result after ``image_timeout`` seconds is stopped and handled the same way. Workers ignore Ctrl-C
(the parent stops them) and exit when their parent is gone.
"""
import collections
import multiprocessing as mp
import os
import os.path as osp
import signal
import time
from multiprocessing.connection import wait
from typing import Iterable, Iterator, NamedTuple, Optional, Tuple

import numpy as np

from mmsoco.image_set import BadImage, decode_rgb, read_image_file
from mmsoco.proposals.algorithm.filters import filter_boxes
from .progress import log

NO_STATS = np.zeros(4, np.int64)


class ImageResult(NamedTuple):
    key: str
    boxes: Optional[np.ndarray]  # float32 (N, 4); None for a bad file
    stage: int  # filter stage that kept the boxes; -1 for a bad file
    reason: str  # why the file is bad ('' when it is not)
    stats: np.ndarray  # int64 width, height, file size, mtime_ns
    downsized: bool  # segmented below max_pixels


def segment_size(w: int, h: int, max_pixels: Optional[int]
                 ) -> Optional[Tuple[int, int]]:
    """(w', h') to segment a w x h image at, or None when it fits."""
    if not max_pixels or w * h <= max_pixels:
        return None
    f = (max_pixels / float(w * h)) ** 0.5
    return max(1, int(w * f)), max(1, int(h * f))


def map_boxes_back(boxes: np.ndarray, small: Tuple[int, int],
                   full: Tuple[int, int]) -> np.ndarray:
    """Boxes of a (w', h') image in the pixels of the (W, H) original."""
    sx, sy = full[0] / small[0], full[1] / small[1]
    out = np.asarray(boxes, np.float64).reshape(-1, 4) * [sx, sy, sx, sy]
    out = np.round(out)
    out[:, 0::2] = out[:, 0::2].clip(0, full[0])
    out[:, 1::2] = out[:, 1::2].clip(0, full[1])
    return out.astype(np.float32)


def propose_rgb(rgb: np.ndarray, spec='ratio3size0308', scale: float = 300,
                sigma: float = 0.9, min_size: int = 100,
                neighbours: str = 'touch_or_overlap',
                max_pixels: Optional[int] = None
                ) -> Tuple[np.ndarray, int, bool]:
    """Filtered boxes of an RGB image -> (float32 (N, 4), stage,
    downsized)."""
    import cv2

    from mmsoco.proposals.algorithm.search import selective_search
    full = (rgb.shape[1], rgb.shape[0])
    small = segment_size(*full, max_pixels)
    img = rgb if small is None else cv2.resize(rgb, small,
                                               interpolation=cv2.INTER_AREA)
    boxes = selective_search(img, scale, sigma, min_size,
                             neighbours=neighbours)
    if small is not None:
        boxes = map_boxes_back(boxes, small, full)
    kept, stage = filter_boxes(boxes, full, spec)
    return kept, stage, small is not None


def propose_image(path: str, spec='ratio3size0308', scale: float = 300,
                  sigma: float = 0.9, min_size: int = 100,
                  neighbours: str = 'touch_or_overlap',
                  max_pixels: Optional[int] = None
                  ) -> Tuple[np.ndarray, int]:
    """Filtered proposals of one image file -> (float32 (N, 4), stage).

    Raises BadImage for files that cannot be used.
    """
    data, _ = read_image_file(path)
    boxes, stage, _ = propose_rgb(decode_rgb(data), spec, scale, sigma,
                                  min_size, neighbours, max_pixels)
    return boxes, stage


def propose_file(key: str, cfg: dict) -> ImageResult:
    """One image of the run (``cfg``: root, spec and parameters); bad files
    and unexpected errors become a reason, never an exception."""
    try:
        data, st = read_image_file(osp.join(cfg['root'], key))
        rgb = decode_rgb(data)
        boxes, stage, small = propose_rgb(
            rgb, cfg['spec'], cfg['scale'], cfg['sigma'], cfg['min_size'],
            cfg['neighbours'], cfg['max_pixels'])
        stats = np.array([rgb.shape[1], rgb.shape[0], st.st_size,
                          st.st_mtime_ns], np.int64)
        return ImageResult(key, boxes, stage, '', stats, small)
    except BadImage as e:
        return ImageResult(key, None, -1, str(e), NO_STATS, False)
    except Exception as e:  # a bug or odd file: report it, keep going
        return ImageResult(key, None, -1,
                           f'failed: {type(e).__name__}: {e}', NO_STATS,
                           False)


def _worker_main(conn, cfg: dict, parent: int) -> None:
    # no cv2.setNumThreads here: tearing down OpenCV's thread pool in a
    # forked child can deadlock (seen: pthread_cond_destroy waiting for the
    # parent's pool threads); the parent sets one thread before forking
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent stops us
    signal.signal(signal.SIGTERM, signal.SIG_DFL)  # die quietly
    while True:
        if not conn.poll(1.0):
            if os.getppid() != parent:
                return  # orphaned: the run was killed
            continue
        try:
            key = conn.recv()
        except EOFError:
            return
        if key is None:
            return
        conn.send(propose_file(key, cfg))


def died_reason(path: str, exitcode: Optional[int], attempts: int) -> str:
    """Why an image is bad after it killed its worker ``attempts`` times."""
    how = (f'killed by signal {-exitcode} '
           f'({signal.Signals(-exitcode).name})' if exitcode and exitcode < 0
           and -exitcode in signal.valid_signals()
           else f'exit code {exitcode}')
    try:
        from PIL import Image
        with Image.open(path) as im:
            size = f'{im.size[0]} x {im.size[1]} pixels'
    except Exception:
        size = 'size unknown'
    return (f'worker died ({how}, {attempts} tries): probably out of memory, '
            f'{size}; lower --max-pixels or give each worker more memory')


class _Slot:
    def __init__(self, ctx, cfg):
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=_worker_main, daemon=True,
                                args=(child, cfg, os.getpid()))
        self.proc.start()
        child.close()
        self.item, self.started, self.timed_out = None, 0.0, False

    def stop(self, kill: bool = False) -> None:
        if kill:
            self.proc.kill()
        else:
            try:
                self.conn.send(None)
            except OSError:
                pass
        self.proc.join(5)
        if self.proc.is_alive():
            self.proc.kill()
            self.proc.join()
        self.conn.close()


class WorkerPool:
    """Run ``propose_file`` over keys in ``workers`` child processes (0: in
    this process, without protection against a crash)."""

    def __init__(self, cfg: dict, workers: int, retries: int = 2,
                 logger=None, image_timeout: float = 900.0):
        self.cfg, self.workers = cfg, workers
        self.retries, self.logger = retries, logger
        self.timeout = image_timeout

    def run(self, items: Iterable[Tuple[int, str]]
            ) -> Iterator[Tuple[int, ImageResult]]:
        """Yield (tag, result) for each (tag, key), in completion order."""
        from mmsoco.proposals.algorithm.search import selective_search
        selective_search(np.zeros((4, 4, 3), np.uint8))  # compile once
        if self.workers <= 0:
            for tag, key in items:
                yield tag, propose_file(key, self.cfg)
            return
        import cv2
        threads = cv2.getNumThreads()
        cv2.setNumThreads(1)  # before forking, see _worker_main
        try:
            yield from self._run(collections.deque(items))
        finally:
            cv2.setNumThreads(threads)

    def _run(self, pending):
        tries = collections.Counter()
        ctx = mp.get_context('fork')
        slots = [_Slot(ctx, self.cfg)
                 for _ in range(min(self.workers, len(pending)))]
        try:
            while True:
                for i, s in enumerate(slots):
                    if s.item is None and pending:
                        try:
                            s.conn.send(pending[0][1])
                        except OSError:  # it died while idle: replace it
                            s.stop(kill=True)
                            slots[i] = _Slot(ctx, self.cfg)
                            continue
                        s.item = pending.popleft()
                        s.started = time.monotonic()
                busy = [s for s in slots if s.item is not None]
                if not busy:
                    return
                first = min(s.started for s in busy)
                wait([s.conn for s in busy] + [s.proc.sentinel for s in busy],
                     max(0.01, first + self.timeout - time.monotonic()))
                for s in busy:  # a worker that hangs is stopped
                    if time.monotonic() - s.started > self.timeout and \
                            not s.conn.poll():
                        s.timed_out = True
                        s.proc.kill()
                        s.proc.join()
                for i, s in enumerate(slots):
                    if s.item is None:
                        continue
                    res = self._receive(s)
                    if res is not None:
                        yield s.item[0], res
                        s.item = None
                    elif not s.proc.is_alive():
                        slots[i] = _Slot(ctx, self.cfg)
                        lost = self._lost(s, tries, pending)
                        if lost is not None:
                            yield lost
        finally:
            for s in slots:
                s.stop(kill=True)

    @staticmethod
    def _receive(s: _Slot) -> Optional[ImageResult]:
        try:
            if s.conn.poll():
                return s.conn.recv()
        except (EOFError, OSError):
            pass
        return None

    def _lost(self, s: _Slot, tries, pending):
        """A worker died on ``s.item``: queue it again or give it up."""
        s.proc.join()
        tag, key = s.item
        tries[key] += 1
        code = s.proc.exitcode
        s.conn.close()
        if tries[key] <= self.retries:
            log(self.logger, f'a worker (PID {s.proc.pid}, exit code {code})'
                f' died on {key}; trying it again ({tries[key]}/'
                f'{self.retries})')
            pending.appendleft(s.item)
            return None
        reason = (f'no result after {self.timeout:g} s, the worker was '
                  f'stopped ({tries[key]} tries); a file that hangs the '
                  'decoder, or raise --image-timeout' if s.timed_out else
                  died_reason(osp.join(self.cfg['root'], key), code,
                              tries[key]))
        log(self.logger, f'giving up on {key}: {reason}')
        return tag, ImageResult(key, None, -1, reason, NO_STATS, False)


__all__ = ['ImageResult', 'propose_image', 'propose_rgb', 'propose_file',
           'WorkerPool', 'segment_size', 'map_boxes_back']
