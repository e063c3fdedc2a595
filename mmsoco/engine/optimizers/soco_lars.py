"""LARS as the SoCo reference computes it (ALGORITHMS.md §1.4).

Per parameter of a LARS-scaled group, with ``d = g + wd * w``::

    d <- eta * ||w|| / (||d|| + eps) * d      (when ||w|| > 0 and ||d|| > 0)
    buf <- momentum * buf + d                  (buf = d on the first step)
    w <- w - lr * buf

Groups flagged ``lars_exclude=True`` (biases and norm parameters, see
:func:`lars_param_groups`) take plain SGD with momentum: their weight decay
is added to the gradient (0 in SoCo's groups), no trust-ratio scaling.

mmselfsup's ``LARS`` differs in the trust ratio: ``eta * ||w|| / (||g|| +
wd * ||w|| + eps)``, applied to ``g + wd * w`` (close, not equal).
"""
from typing import Callable, Optional

import torch
from torch.optim import Optimizer

from mmsoco.registry import OPTIMIZERS


@OPTIMIZERS.register_module()
class SoCoLARS(Optimizer):
    """The reference's LARS over SGD with momentum (no dampening, no
    Nesterov).

    Args:
        params: parameters or groups; a group with ``lars_exclude=True`` is
            not trust-ratio scaled.
        lr: learning rate.
        momentum: SGD momentum (0.9 in SoCo).
        weight_decay: added to the gradient before the trust ratio.
        eta: trust coefficient (0.001).
        eps: added to the norm of the decayed gradient (1e-8).
        exclude_key: the group flag that turns the scaling off.
    """

    def __init__(self, params, lr: float, momentum: float = 0.9,
                 weight_decay: float = 0., eta: float = 0.001,
                 eps: float = 1e-8, exclude_key: str = 'lars_exclude'):
        if lr < 0 or momentum < 0 or weight_decay < 0 or eta < 0 or eps < 0:
            raise ValueError(
                'SoCoLARS: lr, momentum, weight_decay, eta and eps must be '
                f'>= 0, got lr={lr}, momentum={momentum}, weight_decay='
                f'{weight_decay}, eta={eta}, eps={eps}')
        self.exclude_key = exclude_key
        super().__init__(params, dict(lr=lr, momentum=momentum,
                                      weight_decay=weight_decay, eta=eta,
                                      eps=eps))

    @torch.no_grad()
    def step(self, closure: Optional[Callable] = None):
        loss = None
        if closure is not None:
            with torch.enable_grad():
                loss = closure()
        for group in self.param_groups:
            wd, momentum = group['weight_decay'], group['momentum']
            scaled = not group.get(self.exclude_key, False)
            for p in group['params']:
                if p.grad is None:
                    continue
                d = p.grad.add(p, alpha=wd) if wd else p.grad.clone()
                if scaled:
                    d.mul_(self.trust_ratio(p, d, group['eta'],
                                            group['eps']))
                if momentum:
                    state = self.state[p]
                    buf = state.get('momentum_buffer')
                    if buf is None:
                        buf = state['momentum_buffer'] = d
                    else:
                        buf.mul_(momentum).add_(d)
                    d = buf
                p.add_(d, alpha=-group['lr'])
        return loss

    @staticmethod
    def trust_ratio(p: torch.Tensor, d: torch.Tensor, eta: float,
                    eps: float) -> torch.Tensor:
        """``eta * ||w|| / (||d|| + eps)``, or 1 when either norm is 0."""
        w_norm, d_norm = torch.linalg.vector_norm(p), \
            torch.linalg.vector_norm(d)
        ratio = eta * w_norm / (d_norm + eps)
        return torch.where((w_norm > 0) & (d_norm > 0), ratio,
                           torch.ones_like(ratio))
