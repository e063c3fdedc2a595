"""Unlabelled images for InsLoc: each item is a foreground image plus the
other dataset images its composites are pasted onto."""
import os.path as osp
from typing import List, Sequence

import numpy as np
from mmengine.dataset import BaseDataset

from mmsoco.image_set import IMAGE_EXTENSIONS
from mmsoco.registry import DATASETS
from mmsoco.structures import VIEW_SEED_KEY
from .bad_images import prepare_or_replace
from .errors import DatasetConfigError, DatasetMismatchError
from .image_set import list_image_set
from .samplers.sample_index import SampleIndex
from .transforms.random_state import RandomStateMixin


def pick_backgrounds(idx: int, n: int, count: int,
                     rng: np.random.Generator) -> List[int]:
    """``count`` indices drawn uniformly (with replacement) from the
    ``n - 1`` images other than ``idx``."""
    if n < 2:
        raise ValueError(f'InsLoc needs at least 2 images (a foreground and '
                         f'another image as background), the dataset has {n}')
    draws = rng.integers(0, n - 1, size=count)
    return [int(d) + (d >= idx) for d in draws]


@DATASETS.register_module()
class InsLocDataset(RandomStateMixin, BaseDataset):
    """Every image under ``data_root`` (ImageNet layout or flat) or listed
    in ``ann_file``; item ``i`` gives the pipeline ``img_path``, ``key`` and
    ``bg_paths`` (``num_backgrounds`` random *other* images, one per
    composite, drawn afresh every time).

    Randomness, as in ``SoCoDataset``: an index from
    ``SeededDefaultSampler`` / ``SeededInfiniteSampler`` carries the
    sampler's seed and the epoch; the item then gives the pipeline
    ``view_seed = (seed, epoch, index)``, and the backgrounds, every view
    transform and the model's box augmentation draw from generators seeded
    by it: a sample is a pure function of (seed, epoch, index), whatever the
    worker count and across ``--resume``. A plain integer index draws from
    the per-process stream.

    Args:
        data_root: image folder.
        ann_file: optional list of image paths relative to ``data_root``.
        pipeline: LoadImageRGB, InsLocCopyPaste, ..., PackInsLocInputs.
        num_backgrounds: one per composite (2: query and key).
        build_demo: treat ``data_root`` as the root of mmsoco's embedded demo
            set (``mmsoco.datasets.demo``), build its images on first use and
            read them from its image folder.
    """

    def __init__(self, data_root: str, ann_file: str = '',
                 pipeline: Sequence = (), num_backgrounds: int = 2,
                 build_demo: bool = False, **kwargs):
        if build_demo:
            from .demo import build_demo_set
            data_root = build_demo_set(data_root,
                                       with_proposals=False).image_dir
        if not osp.isdir(data_root):
            raise DatasetConfigError(
                f'InsLocDataset: data_root {data_root} does not exist; set '
                'data_root to a folder of images (ImageNet layout or flat)')
        self.num_backgrounds = num_backgrounds
        super().__init__(ann_file=ann_file, data_root=data_root,
                         pipeline=list(pipeline), **kwargs)

    def load_data_list(self) -> List[dict]:
        if self.ann_file:
            if not osp.isfile(self.ann_file):
                raise DatasetConfigError(
                    f'InsLocDataset: ann_file {self.ann_file} does not exist; '
                    'give a list of image paths relative to data_root, or '
                    "ann_file='' to use every image under data_root")
        listing = list_image_set(type(self).__name__, self.ann_file,
                                 self.data_root)
        keys = listing.keys
        if len(keys) < 2:
            raise DatasetMismatchError(
                f'InsLocDataset: {len(keys)} image(s) under {self.data_root}'
                + (f' listed in {self.ann_file}' if self.ann_file else '')
                + '; InsLoc pastes each image onto *another* image of the '
                'dataset, so it needs at least 2 (expected '
                f'{"/".join(IMAGE_EXTENSIONS[:3])}... files)')
        return [dict(img_path=osp.join(self.data_root, k), key=k)
                for k in keys]

    def get_data_info(self, idx: int) -> dict:
        """Item ``idx`` with its ``bg_paths``; a
        :class:`~mmsoco.datasets.samplers.SampleIndex` also puts its
        ``view_seed`` (seed, epoch, index) there, which seeds the choice of
        backgrounds and every view transform."""
        info = super().get_data_info(int(idx))
        if isinstance(idx, SampleIndex):
            info[VIEW_SEED_KEY] = idx.view_seed
        bg = pick_backgrounds(int(idx), len(self), self.num_backgrounds,
                              self.rng_for(info))
        info['bg_paths'] = [super(InsLocDataset, self).get_data_info(i)
                            ['img_path'] for i in bg]
        return info

    def prepare_data(self, idx) -> dict:
        """A sample whose image fails to decode is replaced by another
        (``bad_images.prepare_or_replace``; SoCoDataHook counts them)."""
        return prepare_or_replace(idx, len(self), super().prepare_data,
                                  type(self).__name__)
