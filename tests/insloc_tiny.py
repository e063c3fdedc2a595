"""Tiny InsLoc / InsLocC4 model configs and random InsLoc batches, shared by
the tests/test_insloc_*.py files (not collected itself)."""
import copy

import torch

from mmsoco.structures import InsLocDataSample
from tests.helpers import TINY_C4_TRUNK, TINY_NORM

# ResNet-18 x 1/8 -> FPN 16 -> 4conv 16 + FC 32 -> FC 32 -> 16-d embedding
TINY_INSLOC = dict(
    type='InsLoc',
    data_preprocessor=dict(type='MultiViewDataPreprocessor'),
    backbone=dict(type='mmdet.ResNet', depth=18, base_channels=8,
                  out_indices=(0, 1, 2, 3), norm_cfg=TINY_NORM,
                  norm_eval=False),
    neck=dict(type='mmdet.FPN', in_channels=[8, 16, 32, 64],
              out_channels=16, num_outs=4, norm_cfg=TINY_NORM),
    bbox_head=dict(type='Shared4Conv1FCEmbedHead', in_channels=16,
                   conv_out_channels=16, fc_out_channels=32,
                   norm_cfg=TINY_NORM),
    projector=dict(type='InsLocProjector', in_channels=32, hid_channels=32,
                   out_channels=16),
    queue_len=16,
    feat_dim=16)

# ResNet-18 stages 1-3 -> RoIAlign 14x14 on C4 -> res5 (512) -> 32 -> 16
TINY_INSLOC_C4 = dict(
    type='InsLocC4',
    data_preprocessor=dict(type='MultiViewDataPreprocessor'),
    **copy.deepcopy(TINY_C4_TRUNK),
    projector=dict(type='InsLocProjector', in_channels=512, hid_channels=32,
                   out_channels=16),
    queue_len=16,
    feat_dim=16)


def tiny_insloc_cfg(c4: bool = False, **overrides) -> dict:
    cfg = copy.deepcopy(TINY_INSLOC_C4 if c4 else TINY_INSLOC)
    cfg.update(overrides)
    return cfg


def random_view_boxes(gen: torch.Generator, size: int) -> torch.Tensor:
    """(2, 4) boxes (query, key), each with sides in [size / 2, size)
    (like the composites' pasted foregrounds) inside a size x size view."""
    wh = size / 2 + torch.rand(2, 2, generator=gen) * (size / 2 - 1)
    xy = torch.rand(2, 2, generator=gen) * (size - wh)
    return torch.cat([xy, xy + wh], dim=1)


def random_insloc_batch(batch: int = 4, size: int = 64,
                        seed: int = 0) -> dict:
    """A collated batch in PackInsLocInputs' contract: inputs is a list over
    the 2 views (query, key) of B uint8 (3, size, size) tensors; every data
    sample has view_boxes (2, 4)."""
    gen = torch.Generator().manual_seed(seed)
    inputs = [[torch.randint(0, 256, (3, size, size), generator=gen,
                             dtype=torch.uint8) for _ in range(batch)]
              for _ in range(2)]
    samples = []
    for _ in range(batch):
        sample = InsLocDataSample()
        sample.view_boxes = random_view_boxes(gen, size)
        sample.set_field([(size, size)] * 2, 'view_shapes',
                         field_type='metainfo')
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)
