"""InsLoc's box augmentation (ALGORITHMS.md §2.2): replace a query box by
a random anchor that overlaps it, so the P5 embedding must be robust to
the box's exact extent."""
from typing import Optional, Sequence, Tuple

import torch
from torch import Tensor

ANCHOR_SIDES = (32, 64, 128, 256)
ANCHOR_RATIOS = (0.5, 0.75, 1.0, 1.5, 2.0)  # h / w


def grid_anchors(height: int, width: int, stride: int = 16,
                 sides: Sequence[float] = ANCHOR_SIDES,
                 ratios: Sequence[float] = ANCHOR_RATIOS,
                 device=None) -> Tensor:
    """(H' * W' * A, 4) anchors centred on the stride grid (centres
    ``(i * stride, j * stride)``, mmdet's offset 0), ``A = len(sides) x
    len(ratios)``, area ``side**2``, ``h / w = ratio``, not clipped."""
    side = torch.tensor(sides, dtype=torch.float32, device=device)
    r = torch.tensor(ratios, dtype=torch.float32, device=device).sqrt()
    ws = (side[None, :] / r[:, None]).reshape(-1)
    hs = (side[None, :] * r[:, None]).reshape(-1)
    base = torch.stack([-ws, -hs, ws, hs], dim=1) / 2
    fh, fw = -(-height // stride), -(-width // stride)
    ys = torch.arange(fh, dtype=torch.float32, device=device) * stride
    xs = torch.arange(fw, dtype=torch.float32, device=device) * stride
    yy, xx = torch.meshgrid(ys, xs, indexing='ij')
    shifts = torch.stack([xx, yy, xx, yy], dim=-1).reshape(-1, 1, 4)
    return (shifts + base[None]).reshape(-1, 4)


def box_iou(a: Tensor, b: Tensor) -> Tensor:
    """(N, 4) x (M, 4) -> (N, M) IoU."""
    lt = torch.maximum(a[:, None, :2], b[None, :, :2])
    rb = torch.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = (rb - lt).clamp(min=0).prod(-1)
    area_a = (a[:, 2:] - a[:, :2]).clamp(min=0).prod(-1)
    area_b = (b[:, 2:] - b[:, :2]).clamp(min=0).prod(-1)
    return inter / (area_a[:, None] + area_b[None] - inter).clamp(min=1e-6)


def candidate_anchors(box: Tensor, anchors: Tensor, iou_thr: float = 0.5,
                      top_k: int = 4000) -> Tensor:
    """Anchors with IoU > ``iou_thr`` with ``box`` (4,); if there are none,
    the ``top_k`` anchors of highest IoU (the reference's fallback)."""
    iou = box_iou(box[None], anchors)[0]
    keep = iou > iou_thr
    if bool(keep.any()):
        return anchors[keep]
    return anchors[iou.argsort(descending=True)[:top_k]]


def augment_boxes(boxes: Tensor, image_size: Tuple[int, int],
                  stride: int = 16,
                  sides: Sequence[float] = ANCHOR_SIDES,
                  ratios: Sequence[float] = ANCHOR_RATIOS,
                  iou_thr: float = 0.5, top_k: int = 4000,
                  nms_thr: float = 0.7,
                  generator: Optional[torch.Generator] = None,
                  generators: Optional[Sequence[torch.Generator]] = None
                  ) -> Tensor:
    """(B, 4) true boxes on ``image_size`` (H, W) views -> (B, 4) boxes,
    each an anchor chosen as in the reference: candidates by IoU, random
    scores, NMS at ``nms_thr`` (mmcv.ops.nms), one survivor uniformly.

    Random draws come from ``generators[b]`` for box ``b`` when given (each
    box's draw then depends on its own generator only), else from
    ``generator`` (torch's global stream when None)."""
    from mmcv.ops import nms
    if generators is not None and len(generators) != boxes.shape[0]:
        raise ValueError(f'{len(generators)} generators for '
                         f'{boxes.shape[0]} boxes: give one per box')
    anchors = grid_anchors(image_size[0], image_size[1], stride, sides,
                           ratios, boxes.device)
    out = []
    for b, box in enumerate(boxes.detach().float()):
        if generators is not None:
            generator = generators[b]
        cand = candidate_anchors(box, anchors, iou_thr, top_k)
        scores = torch.rand(cand.shape[0], generator=generator).to(cand)
        _, keep = nms(cand, scores, nms_thr)
        pick = torch.randint(keep.numel(), (1, ), generator=generator)
        out.append(cand[keep[pick.item()]])
    return torch.stack(out).to(boxes.dtype)
