"""What InsLoc's FPN and C4 models share (docs/algorithms.md, InsLoc model and loss): two
composites (query, key) with one box each, the MoCo queues, the InfoNCE per
level, the query box augmentation and shuffle-BN; the EMA key network comes
from :class:`BaseMomentumModel` (constant momentum). Subclasses say how a
view becomes features and how pooled RoIs become vectors."""
from typing import Dict, List, Mapping, Optional, Sequence

import torch
import torch.nn.functional as F
from mmengine.dist import get_world_size
from torch import Tensor, nn

from mmsoco.registry import MODELS
from ..losses.info_nce import multi_level_info_nce
from ..utils.anchor_box_aug import ANCHOR_RATIOS, ANCHOR_SIDES, augment_boxes
from ..utils.feature_queue import FeatureQueue
from ..utils.rois import boxes_to_rois
from ..utils.shuffle_bn import (batch_shuffle, batch_unshuffle,
                                concat_all_gather)
from ..utils.view_seed import seeded_generator, stream_id, view_seeds
from .base_momentum import BaseMomentumModel

DEFAULT_BOX_AUG = dict(levels=(3, ), stride=16, sides=ANCHOR_SIDES,
                       ratios=ANCHOR_RATIOS, iou_thr=0.5, top_k=4000,
                       nms_thr=0.7)
BOX_AUG_STREAM = stream_id('InsLocBoxAug')
SHUFFLE_STREAM = stream_id('InsLocShuffleBN')


class BaseInsLoc(BaseMomentumModel):
    """Query network (``ONLINE`` modules, built in that order from
    ``online``) -> L2-normalised embedding of each view's box on every
    pooled level; key network ``target`` = EMA of the query network with a
    constant ``momentum`` (MoCo: its own BN running statistics, from its own
    shuffled batches); one MoCo queue and one InfoNCE per level.

    Args:
        online: name -> module config for every name of ``ONLINE``.
        roi_extractor: ``BoxRoIExtractor`` over the levels (``None``: the
            subclass's ``DEFAULT_ROI_EXTRACTOR``).
        queue_len: keys per level's queue (65536); must be >= the global
            batch (batch per GPU x GPUs); any such batch works (wrap-around).
        feat_dim: embedding size (128).
        momentum: EMA coefficient m of the key network (0.999).
        temperature: InfoNCE temperature (0.2).
        box_aug: anchor box augmentation of the query box, on ``levels``
            (indices into the pooled levels); ``None`` or ``levels=()``
            turns it off. Other keys: see
            :func:`~mmsoco.models.utils.anchor_box_aug.augment_boxes`.
        level_loss_weights: per-level loss weights (all 1).

    Randomness: with a ``view_seed`` in every data sample's metainfo (the
    seeded samplers, ``PackInsLocInputs``), the box augmentation of sample
    ``i`` and the shuffle-BN permutation draw from generators seeded by the
    samples' (seed, epoch, index), so a resumed run replays them; without,
    from torch's global stream.
    """

    # loss names: f'{LOSS_PREFIX}{FIRST_LEVEL + level index}'
    LOSS_PREFIX, FIRST_LEVEL = 'loss_p', 2
    DEFAULT_ROI_EXTRACTOR: dict = dict(type='BoxRoIExtractor', output_size=7,
                                       strides=(4, 8, 16, 32))

    def __init__(self,
                 online: Mapping[str, dict],
                 roi_extractor: Optional[dict] = None,
                 queue_len: int = 65536,
                 feat_dim: int = 128,
                 momentum: float = 0.999,
                 temperature: float = 0.2,
                 box_aug: Optional[dict] = DEFAULT_BOX_AUG,
                 level_loss_weights: Optional[Sequence[float]] = None,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        for name in self.ONLINE:
            setattr(self, name, MODELS.build(online[name]))
        self.roi_extractor = MODELS.build(roi_extractor
                                          or self.DEFAULT_ROI_EXTRACTOR)
        self.num_levels = self.roi_extractor.num_levels
        self.temperature = temperature
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
        self._build_target(momentum, 'constant')

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
        """One view -> its feature map on every pooled level."""
        raise NotImplementedError

    def roi_vectors(self, pooled: Tensor,
                    nets: Mapping[str, nn.Module]) -> Tensor:
        """(N, C, S, S) pooled RoIs -> (N, D) vectors for the projector."""
        raise NotImplementedError

    def embed(self, feats: List[Tensor], level_boxes: Sequence[Tensor],
              nets: Mapping[str, nn.Module]) -> Tensor:
        """(B, 4) boxes per level -> (L, B, D) L2-normalised embeddings;
        the RoI head runs once over the RoIs of all levels."""
        pooled = self.roi_extractor.pool_all_levels(
            feats, [boxes_to_rois(b[:, None]) for b in level_boxes])
        pooled = pooled.flatten(0, 1)
        z = nets['projector'](self.roi_vectors(pooled, nets))
        return F.normalize(z.float(), dim=1).view(len(level_boxes),
                                                  level_boxes[0].shape[0], -1)

    def query_boxes(self, boxes: Tensor, image_size,
                    seeds: Optional[Sequence] = None) -> List[Tensor]:
        """The true box on every level, an augmented one on the
        ``box_aug`` levels (one independent draw per level; from sample
        ``b``'s own generator when its view seed ``seeds[b]`` is given)."""
        out = [boxes] * self.num_levels
        for lv in self.box_aug_levels:
            gens = None if seeds is None else [
                seeded_generator(*s, BOX_AUG_STREAM, lv) for s in seeds]
            out[lv] = augment_boxes(boxes, tuple(image_size),
                                    generators=gens, **self.box_aug_cfg)
        return out

    # -------------------------------------------------------------- loss
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
        self._check_target_moves()
        seeds = view_seeds(data_samples)
        q = self.embed(self.extract_feat(q_img, self.online_nets),
                       self.query_boxes(boxes[:, 0], q_img.shape[-2:], seeds),
                       self.online_nets)
        k = self._keys(k_img, boxes[:, 1], seeds)
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
    def _keys(self, img: Tensor, boxes: Tensor,
              seeds: Optional[Sequence] = None) -> Tensor:
        """(L, B, D) key embeddings, computed with shuffle-BN."""
        gen = None if seeds is None else seeded_generator(
            SHUFFLE_STREAM, *(v for s in seeds for v in s))
        img, boxes, unshuffle = batch_shuffle(img, boxes, gen)
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
