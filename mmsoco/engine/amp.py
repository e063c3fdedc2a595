"""``--amp``: fp16 with dynamic loss scaling on CUDA, bf16 autocast on the
CPU (``CPUAmpOptimWrapper``)."""
from .train_errors import UsageError

AMP_WRAPPERS = ('AmpOptimWrapper', 'CPUAmpOptimWrapper')


def enable_amp(cfg) -> None:
    """Switch ``cfg.optim_wrapper`` to the mixed-precision wrapper of this
    machine."""
    import torch
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    if wrapper not in ('OptimWrapper', ) + AMP_WRAPPERS:
        raise UsageError(f'--amp needs optim_wrapper.type OptimWrapper, '
                         f'the config has {wrapper!r}')
    if torch.cuda.is_available():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    else:
        cfg.optim_wrapper.type = 'CPUAmpOptimWrapper'
        cfg.optim_wrapper.pop('loss_scale', None)


__all__ = ['enable_amp']
