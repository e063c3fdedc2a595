"""What SoCo's FPN and C4 models share: the view pairs and the loss (the
EMA target comes from :class:`BaseMomentumModel`). Subclasses say how a view
becomes features and how boxes on those features become embeddings."""
from typing import Dict, List, Mapping, Optional, Sequence

import torch
from torch import Tensor, nn

from ..losses import symmetric_soco_loss
from .base_momentum import BaseMomentumModel


class BaseSoCo(BaseMomentumModel):
    """Online network (``ONLINE`` modules + ``predictor``) and its EMA copy
    ``target`` (over ``ONLINE``).

    Views: ``inputs[0]`` is view 1; pair ``p`` joins view 1 with view
    ``p + 2`` through ``data_samples[i].pair_boxes[p]`` (2, K, 4): row ``k``
    of both sides is the same proposal, in each view's pixels.

    The target's parameters follow ``tau = cosine_momentum(k, K,
    base_momentum)``, advanced by ``MomentumTargetHook`` before every
    training iteration with the runner's iteration, so the schedule
    continues exactly after a resume. Its BN buffers are its own
    (ALGORITHMS.md §1.3: parameters, not BN buffers, follow the EMA): like
    the reference's key encoder, the target runs in train mode, normalises
    with its own batch statistics and keeps its own running statistics.
    They start as the online network's and are saved in checkpoints, so a
    resume continues them too.
    """

    def __init__(self,
                 base_momentum: float = 0.99,
                 data_preprocessor: Optional[dict] = None,
                 init_cfg: Optional[dict] = None):
        super().__init__(data_preprocessor=data_preprocessor,
                         init_cfg=init_cfg)
        self.base_momentum = base_momentum

    @property
    def online_nets(self) -> Mapping[str, nn.Module]:
        return dict(self.online_modules, predictor=self.predictor)

    # ---------------------------------------------------------- subclass
    def embed(self, feats, boxes: Tensor, nets: Mapping[str, nn.Module],
              predict: bool) -> Tensor:
        """(B, K, 4) boxes on one view's features -> (B, K, C)."""
        raise NotImplementedError

    # -------------------------------------------------------------- loss
    def loss(self, inputs: List[Tensor],
             data_samples: Sequence) -> Dict[str, Tensor]:
        boxes = self._pair_boxes(data_samples, len(inputs), inputs[0].device)
        corr = self._correspondence(data_samples, boxes)
        self._check_target_moves()
        online = [self.extract_feat(v, self.online_nets) for v in inputs]
        with torch.no_grad():
            target = [self.extract_feat(v, self.target) for v in inputs]
        losses = {}
        for p in range(boxes.shape[1]):
            box_a, box_b = boxes[:, p, 0], boxes[:, p, 1]
            pred_a = self.embed(online[0], box_a, self.online_nets, True)
            pred_b = self.embed(online[p + 1], box_b, self.online_nets, True)
            with torch.no_grad():
                targ_a = self.embed(target[0], box_a, self.target, False)
                targ_b = self.embed(target[p + 1], box_b, self.target, False)
            losses[f'loss_1{p + 2}'] = symmetric_soco_loss(
                pred_a, targ_a, pred_b, targ_b,
                None if corr is None else corr[:, p])
        return losses

    # ------------------------------------------------------------ checks
    @staticmethod
    def _pair_boxes(data_samples: Sequence, num_views: int,
                    device) -> Tensor:
        if not data_samples or not all(
                'pair_boxes' in ds for ds in data_samples):
            raise KeyError('SoCo needs data_samples[i].pair_boxes (P, 2, K, '
                           '4); the pipeline must end with PackSoCoInputs')
        boxes = torch.stack(
            [torch.as_tensor(ds.pair_boxes) for ds in data_samples])
        boxes = boxes.to(device=device, dtype=torch.float32)
        if boxes.dim() != 5 or boxes.shape[2] != 2 or boxes.shape[-1] != 4:
            raise ValueError('pair_boxes must be (P, 2, K, 4) per sample, '
                             f'got {tuple(boxes.shape[1:])}')
        if boxes.shape[1] != num_views - 1:
            raise ValueError(
                f'{num_views} views need {num_views - 1} view pairs, but '
                f'pair_boxes has {boxes.shape[1]}: the model and the dataset '
                'pipeline disagree on the number of views')
        return boxes

    @staticmethod
    def _correspondence(data_samples: Sequence,
                        boxes: Tensor) -> Optional[Tensor]:
        """(B, P, K, K) same-proposal matrix from optional ``pair_ids``
        (P, K): padded duplicates of a box then match each other, as in the
        reference. Without ids, row k matches row k."""
        if not all('pair_ids' in ds for ds in data_samples):
            return None
        ids = torch.stack([torch.as_tensor(ds.pair_ids)
                           for ds in data_samples]).to(boxes.device)
        return (ids[..., :, None] == ids[..., None, :]).float()
