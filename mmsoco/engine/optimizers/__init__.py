from .cpu_amp_optim_wrapper import CPUAmpOptimWrapper  # noqa: F401
from .lars_optim_wrapper_constructor import (LARSOptimWrapperConstructor,
                                             lars_param_groups)
from .soco_lars import SoCoLARS

__all__ = [
    'CPUAmpOptimWrapper', 'LARSOptimWrapperConstructor', 'lars_param_groups',
    'SoCoLARS'
]
