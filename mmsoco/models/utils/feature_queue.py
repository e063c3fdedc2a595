"""MoCo's queue of negative keys as a ring buffer, one queue per level."""
import torch
import torch.nn.functional as F
from torch import Tensor, nn


def ring_indices(ptr: int, n: int, length: int) -> Tensor:
    """Slots ``ptr, ptr + 1, ...`` (``n`` of them) of a ring of ``length``
    slots, wrapping around the end."""
    if n > length:
        raise ValueError(
            f'a queue of {length} keys cannot take a global batch of {n}: '
            f'set queue_len >= batch size x number of GPUs ({n})')
    return (torch.arange(n) + ptr) % length


class FeatureQueue(nn.Module):
    """``num_queues`` queues of ``length`` L2-normalised ``dim``-d keys.

    Buffers (saved in checkpoints): ``queue`` (num_queues, length, dim) and
    ``ptr`` (the next slot to overwrite). :meth:`enqueue` writes a batch at
    ``ptr`` over the oldest keys (wrapping around the end, so any batch size
    up to ``length`` works).
    """

    def __init__(self, num_queues: int, dim: int = 128,
                 length: int = 65536):
        super().__init__()
        self.num_queues, self.dim, self.length = num_queues, dim, length
        self.register_buffer(
            'queue', F.normalize(torch.randn(num_queues, length, dim), dim=2))
        self.register_buffer('ptr', torch.zeros((), dtype=torch.long))

    def keys(self, level: int) -> Tensor:
        """(length, dim) keys of queue ``level`` (order not meaningful)."""
        return self.queue[level]

    @torch.no_grad()
    def enqueue(self, keys: Tensor) -> None:
        """(num_queues, n, dim) new keys replace the n oldest (slots
        ``ptr``, ``ptr + 1``, ... modulo ``length``); ``ptr`` advances by
        n modulo ``length``."""
        if keys.dim() != 3 or keys.shape[0] != self.num_queues \
                or keys.shape[2] != self.dim:
            raise ValueError(f'enqueue takes ({self.num_queues}, n, '
                             f'{self.dim}) keys, got {tuple(keys.shape)}')
        idx = ring_indices(int(self.ptr), keys.shape[1],
                           self.length).to(self.queue.device)
        self.queue[:, idx] = keys.detach().to(self.queue.dtype)
        self.ptr.fill_((int(self.ptr) + keys.shape[1]) % self.length)

    def extra_repr(self) -> str:
        return (f'num_queues={self.num_queues}, dim={self.dim}, '
                f'length={self.length}')
