"""A tiny SoCo model config and random SoCo batches, shared by the
tests/test_soco_*.py files (not collected itself)."""
import copy

import torch
from mmengine.structures import BaseDataElement

TINY_NORM = dict(type='BN', requires_grad=True)
TINY_SOCO = dict(
    type='SoCo',
    data_preprocessor=dict(type='SoCoDataPreprocessor'),
    backbone=dict(type='mmdet.ResNet', depth=18, base_channels=8,
                  out_indices=(0, 1, 2, 3), norm_cfg=TINY_NORM,
                  norm_eval=False, zero_init_residual=True),
    neck=dict(type='mmdet.FPN', in_channels=[8, 16, 32, 64],
              out_channels=16, num_outs=4, norm_cfg=TINY_NORM),
    bbox_head=dict(type='Shared4Conv1FCEmbedHead', in_channels=16,
                   conv_out_channels=16, fc_out_channels=32,
                   norm_cfg=TINY_NORM),
    projector=dict(type='SoCoMLP', in_channels=32, hid_channels=64,
                   out_channels=16),
    predictor=dict(type='SoCoMLP', in_channels=16, hid_channels=64,
                   out_channels=16),
    pool_mode='all_levels')


def tiny_soco_cfg(**overrides) -> dict:
    cfg = copy.deepcopy(TINY_SOCO)
    cfg.update(overrides)
    return cfg


def random_boxes(gen: torch.Generator, k: int, size: int) -> torch.Tensor:
    """(k, 4) boxes inside a size x size view, from 2 px to the full view."""
    xy = torch.rand(k, 2, generator=gen) * size * 0.6
    wh = 2 + torch.rand(k, 2, generator=gen) * (size - xy - 2)
    return torch.cat([xy, xy + wh], dim=1)


def random_soco_batch(batch: int = 2, sizes=(64, 64, 32), k: int = 4,
                      seed: int = 0) -> dict:
    """A collated batch in PackSoCoInputs' contract: inputs is a list over
    views of B uint8 (3, H, W) tensors; pair_boxes (P, 2, K, 4)."""
    gen = torch.Generator().manual_seed(seed)
    inputs = [[torch.randint(0, 256, (3, s, s), generator=gen,
                             dtype=torch.uint8) for _ in range(batch)]
              for s in sizes]
    samples = []
    for _ in range(batch):
        pairs = torch.stack([
            torch.stack([random_boxes(gen, k, sizes[0]),
                         random_boxes(gen, k, s)]) for s in sizes[1:]
        ])
        sample = BaseDataElement()
        sample.set_field(pairs.float(), 'pair_boxes')
        sample.set_field([(s, s) for s in sizes], 'view_shapes',
                         field_type='metainfo')
        samples.append(sample)
    return dict(inputs=inputs, data_samples=samples)
