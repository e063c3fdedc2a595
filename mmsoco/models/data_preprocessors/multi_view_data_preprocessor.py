"""Batch the views of multi-view samples (SoCo's views, InsLoc's
composites) and normalise them."""
from typing import Optional, Sequence

import torch
from mmengine.model import BaseDataPreprocessor
from torch import Tensor

from mmsoco.registry import MODELS

IMAGENET_RGB_MEAN = (123.675, 116.28, 103.53)
IMAGENET_RGB_STD = (58.395, 57.12, 57.375)


@MODELS.register_module()
class MultiViewDataPreprocessor(BaseDataPreprocessor):
    """uint8 RGB views -> normalised float batches, one per view.

    The collated ``inputs`` are a sequence over views; each entry is either
    a list of B (3, Hv, Wv) tensors (``pseudo_collate``, mmengine's default)
    or an already stacked (B, 3, Hv, Wv) tensor (``default_collate``).
    Returns ``dict(inputs=[(B, 3, Hv, Wv) float per view],
    data_samples=[...])`` with the data samples moved to the model's device.

    Args:
        mean, std: per-channel RGB statistics (ImageNet's by default); the
            pipeline delivers RGB, so no channel swap happens here.
    """

    def __init__(self,
                 mean: Sequence[float] = IMAGENET_RGB_MEAN,
                 std: Sequence[float] = IMAGENET_RGB_STD,
                 non_blocking: bool = False):
        super().__init__(non_blocking)
        self.register_buffer('mean', torch.tensor(mean).view(1, -1, 1, 1),
                             persistent=False)
        self.register_buffer('std', torch.tensor(std).view(1, -1, 1, 1),
                             persistent=False)

    def forward(self, data: dict, training: bool = False) -> dict:
        data = self.cast_data(data)
        if 'inputs' not in data:
            raise KeyError('MultiViewDataPreprocessor: the batch has no '
                           "'inputs'; the pipeline must end with "
                           'PackSoCoInputs')
        views = [self._stack(v, i) for i, v in enumerate(data['inputs'])]
        inputs = [(v.float() - self.mean) / self.std for v in views]
        return dict(inputs=inputs, data_samples=data.get('data_samples'))

    @staticmethod
    def _stack(view, index: int) -> Tensor:
        if isinstance(view, Tensor):
            batch = view
        elif isinstance(view, (list, tuple)) and view and all(
                isinstance(t, Tensor) for t in view):
            shapes = {tuple(t.shape) for t in view}
            if len(shapes) != 1:
                raise ValueError(
                    f'MultiViewDataPreprocessor: view {index} has images of '
                    f'different sizes {sorted(shapes)} in one batch; every '
                    'sample must produce the same view sizes')
            batch = torch.stack(list(view))
        else:
            raise TypeError(
                f'MultiViewDataPreprocessor: view {index} of inputs is a '
                f'{type(view).__name__}; expected a list of (3, H, W) '
                'tensors per view (collate PackSoCoInputs outputs with '
                'pseudo_collate)')
        if batch.dim() != 4 or batch.shape[1] != 3:
            raise ValueError(f'MultiViewDataPreprocessor: view {index} must '
                             f'be (B, 3, H, W), got {tuple(batch.shape)}')
        return batch

    def extra_repr(self) -> Optional[str]:
        return f'mean={self.mean.flatten().tolist()}, ' \
               f'std={self.std.flatten().tolist()}'
