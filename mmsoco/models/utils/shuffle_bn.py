"""MoCo's shuffle-BN across processes, carrying each image's boxes along.

The key encoder's BN statistics are computed on a batch drawn from every
process, so they cannot leak which query matches which key. Images and
their boxes move together, so box ``i`` still belongs to image ``i`` after
the shuffle. In one process both functions are the identity.
"""
from typing import Optional, Tuple

import torch
from mmengine.dist import all_gather, broadcast, get_rank, get_world_size
from torch import Tensor


def _gather(x: Tensor) -> Tensor:
    return torch.cat(all_gather(x.contiguous()), dim=0)


@torch.no_grad()
def batch_shuffle(images: Tensor, boxes: Tensor,
                  generator: Optional[torch.Generator] = None
                  ) -> Tuple[Tensor, Tensor, Tensor]:
    """Gather (B, 3, H, W) images and (B, ...) boxes from all processes,
    permute them with one permutation shared by every rank (rank 0's, drawn
    from the CPU ``generator`` if given, else from torch's stream on the
    images' device), return this rank's slice and the inverse permutation
    (for :func:`batch_unshuffle`).
    """
    world = get_world_size()
    if world == 1:
        return images, boxes, torch.arange(images.shape[0],
                                           device=images.device)
    b = images.shape[0]
    all_images, all_boxes = _gather(images), _gather(boxes)
    if generator is None:
        perm = torch.randperm(all_images.shape[0], device=images.device)
    else:
        perm = torch.randperm(all_images.shape[0],
                              generator=generator).to(images.device)
    broadcast(perm, src=0)
    unshuffle = torch.argsort(perm)
    mine = perm.view(world, b)[get_rank()]
    return all_images[mine], all_boxes[mine], unshuffle


@torch.no_grad()
def batch_unshuffle(x: Tensor, unshuffle: Tensor) -> Tensor:
    """Undo :func:`batch_shuffle` on per-image outputs (B, ...)."""
    world = get_world_size()
    if world == 1:
        return x
    b = x.shape[0]
    return _gather(x)[unshuffle.view(world, b)[get_rank()]]


@torch.no_grad()
def concat_all_gather(x: Tensor) -> Tensor:
    """(B, ...) on each rank -> (world * B, ...) on every rank."""
    return x if get_world_size() == 1 else _gather(x)
