"""Mixed precision on the CPU.

mmengine's AmpOptimWrapper refuses to start without CUDA. On the CPU, torch
autocasts to bfloat16, which has float32's range, so no loss scaling is
needed: this wrapper only adds the autocast context to a plain OptimWrapper.
``tools/train.py --amp`` picks it when no GPU is visible.
"""
import contextlib

import torch
from mmengine.optim import OptimWrapper

from mmsoco.registry import OPTIM_WRAPPERS


@OPTIM_WRAPPERS.register_module()
class CPUAmpOptimWrapper(OptimWrapper):

    def __init__(self, *args, dtype: str = 'bfloat16', **kwargs):
        super().__init__(*args, **kwargs)
        self.cast_dtype = getattr(torch, dtype)

    @contextlib.contextmanager
    def optim_context(self, model):
        with super().optim_context(model), torch.autocast(
                device_type='cpu', dtype=self.cast_dtype):
            yield
