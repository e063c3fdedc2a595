"""Unlabelled images joined with their selective-search proposals."""
import contextlib
import logging
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import MMLogger, print_log

from mmsoco.image_set import IMAGE_EXTENSIONS
from mmsoco.registry import DATASETS
from mmsoco.structures import VIEW_SEED_KEY
from .bad_images import (DEFAULT_MAX_BAD_SHARE, leave_out_bad_files,
                         prepare_or_replace, recorded_bad_files)
from .errors import (DatasetConfigError, DatasetMismatchError,
                     ProposalStoreError)
from .image_set import list_image_set
from .samplers.sample_index import SampleIndex
from .store_check import (check_store_current, make_store_command,
                          suggest_store_path)


@DATASETS.register_module()
class SoCoDataset(BaseDataset):
    """Images of a folder (or a list file) with their proposal boxes.

    Each item gives the pipeline ``img_path``, ``key`` (the path relative to
    ``data_root``) and ``proposals`` (float32 (N, 4), original pixels).
    Images missing from the store or with no box get the whole image as their
    one box; how many is counted (``num_missing``, ``num_empty``) and logged
    when the dataset is built and, by ``SoCoDataHook``, at every epoch.

    Bad images (``mmsoco.datasets.bad_images``): the files the proposals
    tool reported bad (``report.json`` of the store) are left out, counted
    and named once. A file that fails to decode in training is replaced by
    another sample, chosen from (seed, epoch, index) alone; ``SoCoDataHook``
    counts and logs the failures and stops the run in one line once more
    than ``max_bad_share`` of the images failed.

    The store must be the one made for these images as they are now: its
    keys must cover ``min_key_match`` of the images, and the file size (and,
    for a new mtime, the width and height) recorded for each image must
    still hold (``check_image_stats``: True checks every image with one
    ``os.stat`` each, an int checks that many evenly spaced images, False
    none).

    View randomness: an index from ``SeededDefaultSampler`` /
    ``SeededInfiniteSampler`` carries the sampler's seed and the epoch; the
    item then gives the pipeline ``view_seed = (seed, epoch, index)`` and
    every view transform draws from a generator seeded by it, so a sample's
    views are a pure function of (seed, epoch, index), whatever the worker
    count and across ``--resume``. A plain integer index leaves the
    transforms on their per-process stream.

    Args:
        data_root: image folder, ImageNet layout (class sub-folders) or flat.
        proposals: a ProposalStore folder made by tools/generate_proposals.py.
        ann_file: optional list of images relative to ``data_root``.
        pipeline: the view pipeline, ending with PackSoCoInputs.
        min_key_match: fraction of images that must be in the store; below
            it the store belongs to another image set and building stops.
        max_bad_share: the share of images that may fail to decode during
            training before the run stops (default 0.05).
        check_image_stats: True (every image), an int (that many) or False.
        build_demo: treat ``data_root`` as the root of mmsoco's embedded demo
            set (``mmsoco.datasets.demo``): build its images and proposals
            there on first use; ``proposals`` is then ignored.
    """

    def __init__(self, data_root: str, proposals: str = '',
                 ann_file: str = '', pipeline: Sequence = (),
                 min_key_match: float = 0.5,
                 max_bad_share: float = DEFAULT_MAX_BAD_SHARE,
                 check_image_stats=True, build_demo: bool = False,
                 **kwargs):
        if build_demo:
            from .demo import build_demo_set
            data_root, proposals = build_demo_set(data_root)[1:]
        ann_path = (ann_file if not ann_file or osp.isabs(ann_file) else
                    osp.join(data_root, ann_file))
        check_data_root(data_root, proposals, ann_path)
        if not proposals or not osp.isfile(osp.join(proposals, 'meta.json')):
            what = (f'proposals store {proposals} does not exist' if proposals
                    else 'no proposals store given (proposals=...)')
            store = proposals or suggest_store_path(data_root, ann_path)
            raise DatasetConfigError(
                f'SoCoDataset: {what}; make it with: '
                f'{make_store_command(data_root, store, ann_path)}'
                + ('' if proposals else
                   f', then set train_dataloader.dataset.proposals={store}'))
        self.proposals = proposals
        self.min_key_match = min_key_match
        self.max_bad_share = float(max_bad_share)
        self.check_image_stats = check_image_stats
        self.num_images = self.num_missing = self.num_empty = 0
        self.num_bad = 0  # left out: reported bad by the proposals tool
        self._store = None
        super().__init__(ann_file=ann_file, data_root=data_root,
                         pipeline=list(pipeline), **kwargs)

    # -- the store is opened lazily in each process (memory-mapped)
    @property
    def store(self):
        if self._store is None:
            from mmsoco.proposals import ProposalStore
            with self._store_errors():
                self._store = ProposalStore(self.proposals)
        return self._store

    @contextlib.contextmanager
    def _store_errors(self):
        """A damaged or crafted store (``StoreError``, raised when it is
        opened or a box is read) becomes the dataset's one line."""
        from mmsoco.proposals import StoreError
        try:
            yield
        except StoreError as e:
            raise ProposalStoreError(
                f'{type(self).__name__}: proposals store file {e.file} '
                f'{e.problem}; remake the store with: '
                f'{self.store_command(True)}') from None

    def __getstate__(self):
        state = self.__dict__.copy()
        state['_store'] = None
        return state

    def store_command(self, overwrite: bool = False) -> str:
        """The command that remakes this dataset's store."""
        return make_store_command(self.data_root, self.proposals,
                                  self.ann_file, overwrite)

    def load_data_list(self) -> List[dict]:
        name = type(self).__name__
        if self.ann_file:
            if not osp.isfile(self.ann_file):
                raise DatasetConfigError(
                    f'{name}: ann_file {self.ann_file} does not exist; '
                    'give a list of image paths relative to data_root, or '
                    "ann_file='' to use every image under data_root")
        listing = list_image_set(name, self.ann_file, self.data_root)
        keys = listing.keys
        if not keys:
            raise DatasetConfigError(
                f'{name}: no images under {self.data_root}'
                + (f' listed in {self.ann_file}' if self.ann_file else '')
                + f'; expected {"/".join(IMAGE_EXTENSIONS[:3])}... files')
        good = leave_out_bad_files(keys, recorded_bad_files(self.proposals),
                                   name, self.proposals)
        if not good:
            raise DatasetMismatchError(
                f'{name}: all {len(keys)} images under {self.data_root} are '
                'listed as bad by the proposals tool in '
                f'{osp.join(self.proposals, "bad_files.txt")}; fix them and '
                f'remake the store with: {self.store_command(True)}')
        self.num_bad, keys = len(keys) - len(good), good
        with self._store_errors():
            index = self._store_index(keys)
            counts = self._count_boxes(index)
        self._check_match(keys, counts)
        if self.check_image_stats is not False:
            limit = (None if self.check_image_stats is True else
                     int(self.check_image_stats))
            check_store_current(self.store, keys, index, self.data_root,
                                name, self.store_command(True), limit)
        self.num_images = len(keys)
        self.num_missing = int((counts < 0).sum())
        self.num_empty = int((counts == 0).sum())
        self._log_fallbacks()
        return [dict(img_path=osp.join(self.data_root, k), key=k)
                for k in keys]

    def _store_index(self, keys: List[str]) -> np.ndarray:
        """Store entry of each key (-1: not in the store)."""
        store = self.store
        return np.fromiter((store.index(k) for k in keys), np.int64,
                           len(keys))

    def _count_boxes(self, index: np.ndarray) -> np.ndarray:
        """Boxes per key (-1: not in the store)."""
        store = self.store
        return np.fromiter((-1 if i < 0 else len(store.boxes_at(i))
                            for i in index), np.int64, len(index))

    def _check_match(self, keys: List[str], counts: np.ndarray) -> None:
        found = int((counts >= 0).sum())
        if found >= self.min_key_match * len(keys):
            return
        example = keys[int(np.flatnonzero(counts < 0)[0])]
        store_key = next(iter(self.store.keys()), None)
        new = suggest_store_path(self.data_root, self.ann_file,
                                 avoid=[self.proposals])
        raise DatasetMismatchError(
            f'SoCoDataset: proposals store {self.proposals} does not match '
            f'the images of {self.data_root}: {found} of {len(keys)} found '
            f'(e.g. {example!r} is missing; the store has keys like '
            f'{store_key!r}), so it was made for other images: keep it, and '
            'make one for these images at a new path with: '
            f'{make_store_command(self.data_root, new, self.ann_file)}, then '
            f'set train_dataloader.dataset.proposals={new}')

    def fallback_message(self) -> Optional[str]:
        """How many images use the whole image as their one box (None when
        every image has proposals)."""
        if not (self.num_missing or self.num_empty):
            return None
        return (f'SoCoDataset: {self.num_missing + self.num_empty} of '
                f'{self.num_images} images use the whole image as their one '
                f'box ({self.num_missing} not in {self.proposals}, '
                f'{self.num_empty} with no proposal)')

    def _log_fallbacks(self) -> None:
        message = self.fallback_message()
        if message:
            print_log(message, logger=MMLogger.get_current_instance(),
                      level=logging.WARNING)

    def get_data_info(self, idx: int) -> dict:
        info = super().get_data_info(int(idx))
        info['proposals'] = self.boxes_for(info['key'])
        return info

    def prepare_data(self, idx) -> dict:
        """The sample of ``idx``; if its image fails to decode, another
        image seen with ``idx``'s views (``bad_images.prepare_or_replace``):
        a pure function of (seed, epoch, idx)."""
        return prepare_or_replace(
            idx, len(self), lambda j: self._prepare(j, idx),
            type(self).__name__)

    def _prepare(self, image_index: int, slot) -> dict:
        info = self.get_data_info(image_index)
        if isinstance(slot, SampleIndex):
            info[VIEW_SEED_KEY] = slot.view_seed
        return self.pipeline(info)

    def boxes_for(self, key: str) -> np.ndarray:
        """The key's proposals, or one box covering the whole image."""
        with self._store_errors():
            boxes = self.store.get(key)
        if boxes is None or len(boxes) == 0:
            return whole_image_box()
        return boxes


def check_data_root(data_root: str, store: str, ann_file: str) -> None:
    """One line for a data root that is missing or is a file."""
    if osp.isdir(data_root):
        return
    if osp.isfile(data_root):
        json_hint = ('it is a JSON file (e.g. COCO annotations): give the '
                     'folder of its images; ' if data_root.lower().endswith(
                         '.json') else '')
        raise DatasetConfigError(
            f'SoCoDataset: data_root {data_root} is a file, not an image '
            f'folder; {json_hint}set data_root to the image folder (and '
            'ann_file to a text file of image paths to use a subset)')
    store = store or suggest_store_path(data_root, ann_file)
    raise DatasetConfigError(
        f'SoCoDataset: data_root {data_root} does not exist; set data_root '
        'to an image folder, then make its proposals with: '
        f'{make_store_command(data_root, store, ann_file)}')


def whole_image_box() -> np.ndarray:
    """A box covering any image: clipping to the image makes it the whole
    image, so the dataset does not decode the image to learn its size."""
    return np.array([[0, 0, 1e9, 1e9]], np.float32)


__all__ = ['SoCoDataset', 'whole_image_box', 'make_store_command']
