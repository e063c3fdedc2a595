"""A frozen detector trunk that turns labelled boxes into feature vectors:
the box probe's network, shared by ``tools/probe.py`` and the val loop.

FPN models (SoCo, SoCo*, InsLoc): each box is pooled (RoIAlign 7x7) on its
FPN level (SoCo's size rule) and run through the pretrained 4conv1fc head
(``head``), and the backbone's C5 is average-pooled in the box (``c5``).
With ``stages`` set the box's FPN features before the head (``fpn``) and
C4, C3, C2 (``c4``, ``c3``, ``c2``) are added, average-pooled the same way,
to see which part of the network a change of the probe comes from. C4
models (SoCoC4, InsLocC4): RoIAlign 14x14 on C4 -> res5 -> average pool
(``head``). The pooling, level rule included, is a ``BoxRoIExtractor``: the
model's own, or for an export one with SoCo's rule; nothing here trains, and
BN runs in eval mode.
"""
import contextlib
from typing import Dict, List, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.model import is_model_wrapper, revert_sync_batchnorm
from torch import Tensor, nn

from mmsoco.models.data_preprocessors.multi_view_data_preprocessor import (
    IMAGENET_RGB_MEAN, IMAGENET_RGB_STD)
from mmsoco.models.roi_extractors import BoxRoIExtractor
from mmsoco.models.utils import SOCO_LEVEL_THRESHOLDS, boxes_to_rois
from mmsoco.registry import MODELS
from .probe_arch import probe_arch


@contextlib.contextmanager
def eval_mode(module: nn.Module):
    """Every submodule in eval mode (BN uses running statistics) and no
    gradients inside; each one's own mode is restored on exit."""
    modes = [(m, m.training) for m in module.modules()]
    module.eval()
    try:
        with torch.no_grad():
            yield
    finally:
        for m, mode in modes:
            m.training = mode


class ProbeNet(nn.Module):
    """Backbone (+ FPN ``neck`` + ``bbox_head``, or + res5 ``shared_head``)
    -> box features ``{'head': (K, D), 'c5': (K, D5)}`` (with
    ``stages``: also ``fpn``, ``c4``, ``c3``, ``c2``; C4: ``head`` only).
    Build with :meth:`from_model` or :meth:`from_export`."""

    def __init__(self, backbone: nn.Module, roi_extractor: nn.Module,
                 neck: Optional[nn.Module] = None,
                 bbox_head: Optional[nn.Module] = None,
                 shared_head: Optional[nn.Module] = None,
                 mean: Sequence[float] = IMAGENET_RGB_MEAN,
                 std: Sequence[float] = IMAGENET_RGB_STD,
                 pad_divisor: int = 32):
        super().__init__()
        if (shared_head is None) == (neck is None or bbox_head is None):
            raise ValueError('ProbeNet needs neck and bbox_head (FPN) or '
                             'shared_head (C4)')
        self.backbone, self.roi_extractor = backbone, roi_extractor
        self.neck, self.bbox_head = neck, bbox_head
        self.shared_head = shared_head
        self.stages = False  # FPN models: True adds fpn, c4, c3, c2
        # C2..C5, one pooler each: the box on that stage alone
        self.stage_poolers = nn.ModuleList(
            BoxRoIExtractor(output_size=7, strides=(s, ))
            for s in (4, 8, 16, 32))
        self.register_buffer('mean', torch.tensor(mean).view(1, -1, 1, 1),
                             persistent=False)
        self.register_buffer('std', torch.tensor(std).view(1, -1, 1, 1),
                             persistent=False)
        self.pad_divisor = pad_divisor

    @property
    def is_c4(self) -> bool:
        return self.shared_head is not None

    @property
    def feature_names(self) -> List[str]:
        if self.is_c4:
            return ['head']
        return ['head', 'c5'] + (['fpn', 'c4', 'c3', 'c2'] if self.stages
                                 else [])

    # -------------------------------------------------------- builders
    @classmethod
    def from_model(cls, model: nn.Module) -> 'ProbeNet':
        """The online network of an mmsoco model (SoCo, SoCoC4, InsLoc,
        InsLocC4), sharing its modules (no copy)."""
        if is_model_wrapper(model):
            model = model.module
        if not all(hasattr(model, n)
                   for n in ('backbone', 'roi_extractor')):
            raise TypeError(f'{type(model).__name__} is not an mmsoco '
                            'pretraining model (no backbone / roi_extractor)')
        pre = getattr(model, 'data_preprocessor', None)
        stats = {}
        if getattr(pre, 'mean', None) is not None:
            stats = dict(mean=pre.mean.flatten().tolist(),
                         std=pre.std.flatten().tolist())
        return cls(model.backbone, model.roi_extractor,
                   neck=getattr(model, 'neck', None),
                   bbox_head=getattr(model, 'bbox_head', None),
                   shared_head=getattr(model, 'shared_head', None),
                   **stats)

    @classmethod
    def from_export(cls, export, name: str = 'export') -> 'ProbeNet':
        """An ``mmsoco.transfer.Export`` (mmdet keys) loaded into the
        network its shapes describe (strict)."""
        cfgs = probe_arch(export.state_dict, export.arch, name)
        mods = {k: revert_sync_batchnorm(MODELS.build(v))
                for k, v in cfgs.items()}
        if export.arch == 'c4':
            extractor = BoxRoIExtractor(output_size=14, strides=(16, ))
        else:
            # SoCo's rule on P2 and up; boxes above the last threshold go
            # to the last pooled level
            levels = min(cfgs['neck']['num_outs'],
                         len(SOCO_LEVEL_THRESHOLDS) + 1)
            extractor = BoxRoIExtractor(
                output_size=cfgs['bbox_head']['roi_feat_size'],
                strides=tuple(4 * 2**i for i in range(levels)),
                level_thresholds=SOCO_LEVEL_THRESHOLDS[:levels - 1])
        net = cls(mods.pop('backbone'), extractor, **mods)
        state = {k.replace('roi_head.', '', 1): v
                 for k, v in export.state_dict.items()}
        net.load_state_dict(state, strict=True)
        return net

    # --------------------------------------------------------- features
    def forward(self, img: Tensor, boxes: Tensor) -> Dict[str, Tensor]:
        """One uint8 RGB image (3, H, W) and its (K, 4) boxes in its pixels
        -> float32 CPU features per name (K rows each), with every module
        in eval mode (BN on its running statistics) and no gradients."""
        with eval_mode(self):
            return self.box_features(img, boxes)

    def box_features(self, img: Tensor, boxes: Tensor) -> Dict[str, Tensor]:
        """:meth:`forward` in the modules' current modes (what
        :func:`~mmsoco.evaluation.recompute_bn_statistics` runs with BN in
        training mode)."""
        device = next(self.backbone.parameters()).device
        mean, std = self.mean.to(device), self.std.to(device)
        x = (img[None].to(device).float() - mean) / std
        h, w = x.shape[-2:]
        d = self.pad_divisor
        x = F.pad(x, (0, -w % d, 0, -h % d))
        boxes = boxes.float().to(x.device).reshape(-1, 4)
        rois = boxes_to_rois(boxes[None])
        if self.is_c4:
            c4 = self.backbone(x)[-1]
            res5 = self.shared_head(self.roi_extractor([c4], rois))
            return dict(head=res5.mean((2, 3)).float().cpu())
        stages = self.backbone(x)
        feats = self.neck(stages)[:self.roi_extractor.num_levels]
        pooled = self.roi_extractor(feats, rois)
        out = dict(head=self.bbox_head(pooled))
        out['c5'] = self.stage_poolers[3]([stages[-1]], rois).mean((2, 3))
        if self.stages:
            out['fpn'] = pooled.mean((2, 3))
            for i in (2, 1, 0):
                out[f'c{i + 2}'] = self.stage_poolers[i](
                    [stages[i]], rois).mean((2, 3))
        return {k: v.float().cpu() for k, v in out.items()}

    def probe_batch(self, data_batch: dict) -> List[dict]:
        """A collated batch of ``BoxProbeDataset`` items (``inputs``: uint8
        RGB images, ``data_samples``: their boxes, labels and split) -> one
        dict per image for :class:`BoxKNNProbe`'s ``process``."""
        out = []
        for img, sample in zip(data_batch['inputs'],
                               data_batch['data_samples']):
            gt = sample.gt_instances
            boxes = getattr(gt.bboxes, 'tensor', gt.bboxes)
            feats = self(img, boxes) if len(boxes) else {}
            out.append(dict(feats=feats, labels=gt.labels.cpu(),
                            split=sample.metainfo.get('split', 'query')))
        return out
