"""Parameter groups for LARS: biases and norm parameters excluded from
weight decay and from the trust-ratio scaling (ALGORITHMS.md §1.4)."""
from typing import List

from mmengine.model import is_model_wrapper
from mmengine.optim import DefaultOptimWrapperConstructor, OptimWrapper
from torch import nn

from mmsoco.registry import (OPTIM_WRAPPER_CONSTRUCTORS, OPTIM_WRAPPERS,
                             OPTIMIZERS)


def lars_param_groups(model: nn.Module, exclude_key: str = 'lars_exclude'
                      ) -> List[dict]:
    """Two groups over the trainable parameters: weights of convs and
    linears (decayed, LARS-scaled) and every 1-d parameter, i.e. biases and
    norm weights / biases (``weight_decay=0``, ``{exclude_key}=True``, the
    flag mmselfsup's LARS reads). Frozen parameters (the EMA target) are
    left out."""
    scaled, excluded = [], []
    for _, param in model.named_parameters():
        if not param.requires_grad:
            continue
        (excluded if param.ndim <= 1 else scaled).append(param)
    return [
        dict(params=scaled),
        dict(params=excluded, weight_decay=0., **{exclude_key: True}),
    ]


@OPTIM_WRAPPER_CONSTRUCTORS.register_module()
class LARSOptimWrapperConstructor(DefaultOptimWrapperConstructor):
    """``DefaultOptimWrapperConstructor`` with SoCo's LARS groups.

    Use with ``optimizer=dict(type='SoCoLARS', ...)`` (the reference's update)
    or ``dict(type='mmselfsup.LARS', ...)``; both read the group's
    ``lars_exclude`` flag. ``paramwise_cfg``
    is not supported (the grouping is the whole point).
    """

    def __init__(self, optim_wrapper_cfg: dict, paramwise_cfg=None):
        if paramwise_cfg:
            raise ValueError('LARSOptimWrapperConstructor sets its own '
                             'parameter groups; remove paramwise_cfg')
        super().__init__(optim_wrapper_cfg, None)

    def __call__(self, model: nn.Module) -> OptimWrapper:
        if is_model_wrapper(model):
            model = model.module
        optimizer_cfg = self.optimizer_cfg.copy()
        optimizer_cfg['params'] = lars_param_groups(model)
        optimizer = OPTIMIZERS.build(optimizer_cfg)
        wrapper_cfg = self.optim_wrapper_cfg.copy()
        wrapper_cfg.setdefault('type', 'OptimWrapper')
        return OPTIM_WRAPPERS.build(
            wrapper_cfg, default_args=dict(optimizer=optimizer))
