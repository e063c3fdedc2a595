"""Pack SoCo's views and matched boxes into the model's contract."""
from typing import Sequence

import numpy as np
import torch
from mmcv.transforms import BaseTransform

from mmsoco.registry import TRANSFORMS
from mmsoco.structures import SoCoDataSample


def to_chw_tensor(img: np.ndarray) -> torch.Tensor:
    return torch.from_numpy(np.ascontiguousarray(img.transpose(2, 0, 1)))


@TRANSFORMS.register_module()
class PackSoCoInputs(BaseTransform):
    """-> dict(inputs=[uint8 (3, Hv, Wv) per view],
    data_samples=SoCoDataSample(pair_boxes (P, 2, K, 4) float32,
    pair_ids (P, 2, K) int64, metainfo view_shapes + ``meta_keys``))."""

    def __init__(self, meta_keys: Sequence[str] = (
            'img_path', 'ori_shape', 'view_shapes', 'flips', 'crops')):
        self.meta_keys = tuple(meta_keys)

    def transform(self, results: dict) -> dict:
        sample = SoCoDataSample(metainfo={
            k: results[k] for k in self.meta_keys if k in results})
        sample.pair_boxes = torch.from_numpy(
            np.ascontiguousarray(results['pair_boxes'], np.float32))
        sample.pair_ids = torch.from_numpy(
            np.ascontiguousarray(results['pair_ids'], np.int64))
        return dict(inputs=[to_chw_tensor(v) for v in results['views']],
                    data_samples=sample)
