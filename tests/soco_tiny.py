"""A tiny SoCo model config and random SoCo batches, shared by the
tests/test_soco_*.py files (not collected itself)."""
import copy

import torch
from mmengine.structures import BaseDataElement

from tests.helpers import TINY_C4_TRUNK, TINY_NORM
TINY_SOCO = dict(
    type='SoCo',
    data_preprocessor=dict(type='MultiViewDataPreprocessor'),
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
# ResNet-18 stages 1-3 -> RoIAlign 14x14 on C4 -> res5 (512) -> 64 -> 16
TINY_SOCO_C4 = dict(
    type='SoCoC4',
    **copy.deepcopy(TINY_C4_TRUNK),
    projector=dict(type='SoCoMLP', in_channels=512, hid_channels=64,
                   out_channels=16),
    predictor=dict(type='SoCoMLP', in_channels=16, hid_channels=64,
                   out_channels=16))


def tiny_soco_cfg(**overrides) -> dict:
    cfg = copy.deepcopy(TINY_SOCO)
    cfg.update(overrides)
    return cfg


class PackedSoCoToyDataset:
    """Real images in PackSoCoInputs' packed contract, without the views
    pipeline: view 1 is the whole image, the other views are crops drawn
    from a generator seeded by the sample index (so the data repeat exactly
    across runs and resumes), and K boxes lie inside the crops' overlap.

    Stands in for SoCoDataset in model-side Runner tests.
    """

    def __init__(self, image_dir: str, num_images: int = 8,
                 sizes=(96, 96, 48), k: int = 4):
        import os
        names = sorted(n for n in os.listdir(image_dir)
                       if n.lower().endswith(('.jpg', '.png')))
        if len(names) < num_images:
            raise FileNotFoundError(f'{image_dir} has {len(names)} images, '
                                    f'need {num_images}')
        self.paths = [os.path.join(image_dir, n) for n in names[:num_images]]
        self.sizes, self.k = tuple(sizes), k

    def __len__(self) -> int:
        return len(self.paths)

    def __getitem__(self, index: int) -> dict:
        import cv2
        import numpy as np
        rng = np.random.default_rng(index)
        img = cv2.imread(self.paths[index], cv2.IMREAD_COLOR)[:, :, ::-1]
        h, w = img.shape[:2]
        crops = [(0., 0., float(w), float(h))]
        for _ in self.sizes[1:]:
            cw, ch = w * rng.uniform(0.6, 0.9), h * rng.uniform(0.6, 0.9)
            x0, y0 = rng.uniform(0, w - cw), rng.uniform(0, h - ch)
            crops.append((x0, y0, x0 + cw, y0 + ch))
        ix1 = max(c[0] for c in crops)
        iy1 = max(c[1] for c in crops)
        ix2 = min(c[2] for c in crops)
        iy2 = min(c[3] for c in crops)
        boxes = []
        for _ in range(self.k):
            bw = rng.uniform(0.3, 1.) * (ix2 - ix1)
            bh = rng.uniform(0.3, 1.) * (iy2 - iy1)
            bx, by = rng.uniform(ix1, ix2 - bw), rng.uniform(iy1, iy2 - bh)
            boxes.append((bx, by, bx + bw, by + bh))
        boxes = np.array(boxes, dtype=np.float32)
        views, view_boxes = [], []
        for (x1, y1, x2, y2), s in zip(crops, self.sizes):
            patch = img[int(y1):int(np.ceil(y2)), int(x1):int(np.ceil(x2))]
            views.append(torch.from_numpy(np.ascontiguousarray(
                cv2.resize(patch, (s, s),
                           interpolation=cv2.INTER_LINEAR).transpose(2, 0,
                                                                     1))))
            scale = np.array([s / (x2 - x1), s / (y2 - y1)] * 2, np.float32)
            offset = np.array([x1, y1, x1, y1], np.float32)
            view_boxes.append(torch.from_numpy((boxes - offset) * scale))
        pairs = torch.stack([torch.stack([view_boxes[0], vb])
                             for vb in view_boxes[1:]])
        sample = BaseDataElement()
        sample.set_field(pairs, 'pair_boxes')
        sample.set_field([(s, s) for s in self.sizes], 'view_shapes',
                         field_type='metainfo')
        return dict(inputs=views, data_samples=sample)
