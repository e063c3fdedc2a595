"""InsLoc on an R50-FPN detector (docs/algorithms.md,
InsLoc model and loss).

Query and key are two copy-paste composites of the same foreground; each
has exactly one box. The query network embeds its box on every FPN level
(RoIAlign 7x7, one head shared across levels), the key network (an EMA
copy, ``target``) does the same on the key composite, and each level has
its own MoCo queue of negatives and its own InfoNCE; the levels are summed.
"""
import copy
from typing import Dict, List, Mapping, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.dist import get_world_size
from mmengine.model import BaseModel
from torch import Tensor, nn

from mmsoco.registry import MODELS
from ..losses.info_nce import multi_level_info_nce
from ..utils.anchor_box_aug import ANCHOR_RATIOS, ANCHOR_SIDES, augment_boxes
from ..utils.feature_queue import FeatureQueue
from ..utils.momentum import ema_update_
from ..utils.rois import boxes_to_rois
from ..utils.shuffle_bn import (batch_shuffle, batch_unshuffle,
                                concat_all_gather)

DEFAULT_BOX_AUG = dict(levels=(3, ), stride=16, sides=ANCHOR_SIDES,
                       ratios=ANCHOR_RATIOS, iou_thr=0.5, top_k=4000,
                       nms_thr=0.7)


@MODELS.register_module()
class InsLoc(BaseModel):
    """Query network ``backbone`` -> ``neck`` -> RoIAlign on every level ->
    ``bbox_head`` (4conv1fc, shared by the levels) -> ``projector``
    (FC 1024, Linear 128) -> L2 norm; key network ``target`` (ModuleDict
    over the same names) follows ``target = m * target + (1 - m) * query``
    once per training step over the parameters; as in MoCo the key network
    keeps its own BN running statistics (from its own, shuffled, batches).

    Args:
        backbone, neck, bbox_head, projector: module configs.
        roi_pooler: ``BoxRoIPooler`` over the levels (7x7, aligned).
        queue_len: keys per level's queue (65536); must be >= the global
            batch (batch per GPU x GPUs); any such batch works (wrap-around).
        feat_dim: embedding size (128).
        momentum: EMA coefficient m of the key network (0.999).
        temperature: InfoNCE temperature (0.2).
        box_aug: anchor box augmentation of the query box, on ``levels``
            (indices into the pooled levels; ``(3,)`` = P5); ``None`` or
            ``levels=()`` turns it off. Other keys: see
            :func:`~mmsoco.models.utils.anchor_box_aug.augment_boxes`.
        level_loss_weights: per-level loss weights (all 1).

    Losses: ``loss_p2`` ... ``loss_p5`` (one InfoNCE per level; mmengine
    sums them).
    """

    ONLINE = ('backbone', 'neck', 'bbox_head', 'projector')
    # loss names: f'{LOSS_PREFIX}{FIRST_LEVEL + level index}'
    LOSS_PREFIX, FIRST_LEVEL = 'loss_p', 2

    def __init__(self,
                 backbone: dict,
                 neck: dict,
                 bbox_head: dict,
                 projector: dict,
                 roi_pooler: dict = dict(type='BoxRoIPooler', output_size=7,
                                         strides=(4, 8, 16, 32)),
                 queue_len: int = 65536,
                 feat_dim: int = 128,
                 momentum: float = 0.999,
                 temperature: float = 0.2,
                 box_aug: Optional[dict] = DEFAULT_BOX_AUG,
                 level_loss_weights: Optional[Sequence[float]] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        if data_preprocessor is None:
            data_preprocessor = dict(type='SoCoDataPreprocessor')
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self._build_online(backbone, neck, bbox_head, projector)
        self.roi_pooler = MODELS.build(roi_pooler)
        self.num_levels = self.roi_pooler.num_levels
        self.momentum, self.temperature = momentum, temperature
        self.level_loss_weights = level_loss_weights
        box_aug = dict(DEFAULT_BOX_AUG, **(box_aug or dict(levels=())))
        self.box_aug_levels = tuple(box_aug.pop('levels'))
        bad = [lv for lv in self.box_aug_levels
               if not 0 <= lv < self.num_levels]
        if bad:
            raise ValueError(f'box_aug levels {bad} out of range: the model '
                             f'pools on {self.num_levels} level(s)')
        self.box_aug_cfg = box_aug
        self.queue = FeatureQueue(self.num_levels, feat_dim, queue_len)
        self.target = nn.ModuleDict(
            {n: copy.deepcopy(getattr(self, n)) for n in self.ONLINE})
        self.target.requires_grad_(False)

    def _build_online(self, backbone, neck, bbox_head, projector) -> None:
        self.backbone = MODELS.build(backbone)
        self.neck = MODELS.build(neck)
        self.bbox_head = MODELS.build(bbox_head)
        self.projector = MODELS.build(projector)

    # ------------------------------------------------------------ target
    @property
    def online_nets(self) -> Mapping[str, nn.Module]:
        return {n: getattr(self, n) for n in self.ONLINE}

    def init_weights(self) -> None:
        super().init_weights()
        self.sync_target()

    @torch.no_grad()
    def sync_target(self) -> None:
        """key network <- query network (after weight initialisation)."""
        for n in self.ONLINE:
            self.target[n].load_state_dict(getattr(self, n).state_dict())

    @torch.no_grad()
    def momentum_update(self) -> None:
        for n in self.ONLINE:
            ema_update_(self.target[n], getattr(self, n), self.momentum)

    def check_global_batch(self, global_batch: int) -> None:
        """Refuse a global batch the queue cannot hold (one line, naming
        ``queue_len`` and the fix). Any batch up to the queue's length
        works: the queue wraps around."""
        if global_batch > self.queue.length:
            raise ValueError(
                f'{type(self).__name__}: queue_len={self.queue.length} is '
                f'shorter than the global batch {global_batch} (batch per '
                'GPU x GPUs): each step enqueues the whole batch of keys; '
                f'set model.queue_len >= {global_batch} or use a smaller '
                'batch')

    # ----------------------------------------------------------- network
    def extract_feat(self, img: Tensor,
                     nets: Mapping[str, nn.Module]) -> List[Tensor]:
        return list(nets['neck'](nets['backbone'](img)))

    def head(self, pooled: Tensor, nets: Mapping[str, nn.Module]) -> Tensor:
        return nets['bbox_head'](pooled)

    def embed(self, feats: List[Tensor], level_boxes: Sequence[Tensor],
              nets: Mapping[str, nn.Module]) -> Tensor:
        """(B, 4) boxes per level -> (L, B, D) L2-normalised embeddings;
        the head runs once over the RoIs of all levels."""
        pooled = torch.cat([
            self.roi_pooler(feats, boxes_to_rois(b[:, None]), lv)
            for lv, b in enumerate(level_boxes)
        ])
        z = nets['projector'](self.head(pooled, nets))
        return F.normalize(z.float(), dim=1).view(len(level_boxes),
                                                  level_boxes[0].shape[0], -1)

    def query_boxes(self, boxes: Tensor, image_size) -> List[Tensor]:
        """The true box on every level, an augmented one on the
        ``box_aug`` levels (one independent draw per level)."""
        out = [boxes] * self.num_levels
        for lv in self.box_aug_levels:
            out[lv] = augment_boxes(boxes, tuple(image_size),
                                    **self.box_aug_cfg)
        return out

    # ----------------------------------------------------------- forward
    def forward(self, inputs: List[Tensor],
                data_samples: Optional[list] = None, mode: str = 'loss'):
        if mode == 'loss':
            return self.loss(inputs, data_samples)
        if mode == 'tensor':
            return self.extract_feat(inputs[0], self.online_nets)
        raise RuntimeError(f'{type(self).__name__} supports mode "loss" and '
                           f'"tensor", not {mode!r}')

    def loss(self, inputs: List[Tensor],
             data_samples: Sequence) -> Dict[str, Tensor]:
        if len(inputs) != 2:
            raise ValueError(f'InsLoc takes 2 views (query, key), got '
                             f'{len(inputs)}: the pipeline must use '
                             'InsLocCopyPaste(num_views=2)')
        q_img, k_img = inputs
        boxes = self._view_boxes(data_samples, q_img.device)
        # each step enqueues the keys of every rank: world x B of them
        self.check_global_batch(get_world_size() * boxes.shape[0])
        q = self.embed(self.extract_feat(q_img, self.online_nets),
                       self.query_boxes(boxes[:, 0], q_img.shape[-2:]),
                       self.online_nets)
        with torch.no_grad():
            if self.training:
                self.momentum_update()
            k = self._keys(k_img, boxes[:, 1])
        losses = multi_level_info_nce(
            list(q), list(k),
            # a copy: enqueue below overwrites the queue in place
            [self.queue.keys(lv).clone() for lv in range(self.num_levels)],
            self.temperature, self.level_loss_weights,
            prefix=self.LOSS_PREFIX, first_level=self.FIRST_LEVEL)
        if self.training:
            self.queue.enqueue(
                torch.stack([concat_all_gather(k[lv])
                             for lv in range(self.num_levels)]))
        return losses

    @torch.no_grad()
    def _keys(self, img: Tensor, boxes: Tensor) -> Tensor:
        """(L, B, D) key embeddings, computed with shuffle-BN."""
        img, boxes, unshuffle = batch_shuffle(img, boxes)
        k = self.embed(self.extract_feat(img, self.target),
                       [boxes] * self.num_levels, self.target)
        return torch.stack([batch_unshuffle(k[lv], unshuffle)
                            for lv in range(self.num_levels)])

    @staticmethod
    def _view_boxes(data_samples: Sequence, device) -> Tensor:
        if not data_samples or not all('view_boxes' in ds
                                       for ds in data_samples):
            raise KeyError('InsLoc needs data_samples[i].view_boxes (2, 4); '
                           'the pipeline must end with PackInsLocInputs')
        boxes = torch.stack([torch.as_tensor(ds.view_boxes)
                             for ds in data_samples])
        if boxes.dim() != 3 or boxes.shape[1:] != (2, 4):
            raise ValueError('view_boxes must be (2, 4) per sample, got '
                             f'{tuple(boxes.shape[1:])}')
        return boxes.to(device=device, dtype=torch.float32)
