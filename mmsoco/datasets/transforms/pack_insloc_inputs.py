"""Pack InsLoc's composites and their boxes into the model's contract."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmsoco.registry import TRANSFORMS
from mmsoco.structures import VIEW_SEED_KEY, InsLocDataSample
from .pack_soco_inputs import to_chw_tensor


@TRANSFORMS.register_module()
class PackInsLocInputs(BaseTransform):
    """-> dict(inputs=[query uint8 (3, H, W), key uint8 (3, H, W)],
    data_samples=InsLocDataSample(view_boxes=float32 (V, 4): row v is the
    instance box in view v's pixels; metainfo ``meta_keys``)).

    ``view_seed`` (from a seeded sampler's index) travels to the model,
    which seeds its box augmentation and shuffle-BN with it."""

    def __init__(self, meta_keys: Sequence[str] = (
            'img_path', 'ori_shape', 'view_shapes', 'flips', 'bg_paths',
            VIEW_SEED_KEY)):
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        sample = InsLocDataSample(metainfo={
            k: results[k] for k in self.meta_keys if k in results})
        boxes = np.concatenate([np.asarray(b, np.float32).reshape(-1, 4)[:1]
                                for b in results['view_boxes']])
        sample.view_boxes = torch.from_numpy(boxes)
        return dict(inputs=[to_chw_tensor(v) for v in results['views']],
                    data_samples=sample)
