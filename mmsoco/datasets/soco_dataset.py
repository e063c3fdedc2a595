"""Unlabelled images joined with their selective-search proposals."""
import logging
import os.path as osp
from typing import List, Optional, Sequence

import numpy as np
from mmengine.dataset import BaseDataset
from mmengine.logging import MMLogger, print_log

from mmsoco.image_set import IMAGE_EXTENSIONS
from mmsoco.registry import DATASETS
from .errors import DatasetConfigError, DatasetMismatchError
from .image_set import list_image_set
from .samplers.sample_index import SampleIndex
from .transforms.random_state import VIEW_SEED_KEY

def make_store_command(data_root: str, store: str,
                       ann_file: Optional[str] = None) -> str:
    if ann_file:
        return (f'python tools/generate_proposals.py {ann_file} {store} '
                f'--image-root {data_root}')
    return f'python tools/generate_proposals.py {data_root} {store}'


@DATASETS.register_module()
class SoCoDataset(BaseDataset):
    """Images of a folder (or a list file) with their proposal boxes.

    Each item gives the pipeline ``img_path``, ``key`` (the path relative to
    ``data_root``) and ``proposals`` (float32 (N, 4), original pixels).
    Images missing from the store or with no box get the whole image as their
    one box; how many is counted (``num_missing``, ``num_empty``) and logged
    when the dataset is built and, by ``SoCoDataHook``, at every epoch.

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
        build_demo: treat ``data_root`` as the root of mmsoco's embedded demo
            set (``mmsoco.datasets.demo``): build its images and proposals
            there on first use; ``proposals`` is then ignored.
    """

    def __init__(self, data_root: str, proposals: str = '',
                 ann_file: str = '', pipeline: Sequence = (),
                 min_key_match: float = 0.5, build_demo: bool = False,
                 **kwargs):
        if build_demo:
            from .demo import build_demo_set
            data_root, proposals = build_demo_set(data_root)[1:]
        if not osp.isdir(data_root):
            raise DatasetConfigError(
                f'SoCoDataset: data_root {data_root} does not exist; set '
                'data_root to an image folder, then make its proposals with: '
                f'{make_store_command(data_root, proposals, ann_file)}')
        if not osp.isfile(osp.join(proposals, 'meta.json')):
            raise DatasetConfigError(
                f'SoCoDataset: proposals store {proposals} does not exist; '
                'make it with: '
                f'{make_store_command(data_root, proposals, ann_file)}')
        self.proposals = proposals
        self.min_key_match = min_key_match
        self.num_images = self.num_missing = self.num_empty = 0
        self._store = None
        super().__init__(ann_file=ann_file, data_root=data_root,
                         pipeline=list(pipeline), **kwargs)

    # -- the store is opened lazily in each process (memory-mapped)
    @property
    def store(self):
        if self._store is None:
            from mmsoco.proposals import ProposalStore
            self._store = ProposalStore(self.proposals)
        return self._store

    def __getstate__(self):
        state = self.__dict__.copy()
        state['_store'] = None
        return state

    def load_data_list(self) -> List[dict]:
        if self.ann_file:
            if not osp.isfile(self.ann_file):
                raise DatasetConfigError(
                    f'SoCoDataset: ann_file {self.ann_file} does not exist; '
                    'give a list of image paths relative to data_root, or '
                    "ann_file='' to use every image under data_root")
        listing = list_image_set(type(self).__name__, self.ann_file,
                                 self.data_root)
        keys = listing.keys
        if not keys:
            raise DatasetConfigError(
                f'SoCoDataset: no images under {self.data_root}'
                + (f' listed in {self.ann_file}' if self.ann_file else '')
                + f'; expected {"/".join(IMAGE_EXTENSIONS[:3])}... files')
        counts = self._count_boxes(keys)
        self._check_match(keys, counts)
        self.num_images = len(keys)
        self.num_missing = int((counts < 0).sum())
        self.num_empty = int((counts == 0).sum())
        self._log_fallbacks()
        return [dict(img_path=osp.join(self.data_root, k), key=k)
                for k in keys]

    def _count_boxes(self, keys: List[str]) -> np.ndarray:
        """Boxes per key (-1: not in the store)."""
        store = self.store
        counts = np.empty(len(keys), np.int64)
        for n, key in enumerate(keys):
            i = store.index(key)
            counts[n] = -1 if i < 0 else len(store.boxes_at(i))
        return counts

    def _check_match(self, keys: List[str], counts: np.ndarray) -> None:
        found = int((counts >= 0).sum())
        if found >= self.min_key_match * len(keys):
            return
        example = keys[int(np.flatnonzero(counts < 0)[0])]
        store_key = next(iter(self.store.keys()), None)
        command = make_store_command(self.data_root, self.proposals,
                                     self.ann_file)
        raise DatasetMismatchError(
            f'SoCoDataset: proposals store {self.proposals} does not match '
            f'the images of {self.data_root}: {found} of {len(keys)} found '
            f'(e.g. {example!r} is missing; the store has keys like '
            f'{store_key!r}); make one for these images with: '
            f'{command}')

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
        info = self.get_data_info(idx)
        if isinstance(idx, SampleIndex):
            info[VIEW_SEED_KEY] = idx.view_seed
        return self.pipeline(info)

    def boxes_for(self, key: str) -> np.ndarray:
        """The key's proposals, or one box covering the whole image."""
        boxes = self.store.get(key)
        if boxes is None or len(boxes) == 0:
            return whole_image_box()
        return boxes


def whole_image_box() -> np.ndarray:
    """A box covering any image: clipping to the image makes it the whole
    image, so the dataset does not decode the image to learn its size."""
    return np.array([[0, 0, 1e9, 1e9]], np.float32)


__all__ = ['SoCoDataset', 'whole_image_box']
