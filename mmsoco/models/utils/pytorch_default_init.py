"""``init_cfg=dict(type='PyTorchDefault', layer=[...])``: give the listed
layers back PyTorch's own initialisation (``reset_parameters()``).

The SoCo reference builds its box-head convs and FC with ``nn.Conv2d`` /
``nn.Linear`` and never re-initialises them: weights ~ kaiming_uniform(a =
sqrt 5), i.e. U(+-1/sqrt(fan_in)), std 1/sqrt(3 fan_in), and biases
U(+-1/sqrt(fan_in)) (ALGORITHMS.md §1.3). mmcv's ConvModule (mmsoco's head
convs) re-initialises its conv when built, so the layers must be reset
explicitly to get that.
"""
from mmengine.model.weight_init import BaseInit, update_init_info

from mmsoco.registry import WEIGHT_INITIALIZERS


@WEIGHT_INITIALIZERS.register_module(name='PyTorchDefault')
class PyTorchDefaultInit(BaseInit):
    """Calls ``reset_parameters()`` of every submodule whose class (or a
    direct base class) is named in ``layer`` (all of them when used as an
    ``override``)."""

    def __call__(self, module) -> None:
        layers = set(self.layer)

        def reset(m) -> None:
            names = {type(m).__name__} | {b.__name__ for b in
                                          type(m).__bases__}
            if (self.wholemodule or layers & names) and hasattr(
                    m, 'reset_parameters'):
                m.reset_parameters()

        module.apply(reset)
        if hasattr(module, '_params_init_info'):
            update_init_info(module, init_info=self._get_init_info())

    def _get_init_info(self) -> str:
        return f'{type(self).__name__}: layer={self.layer}'
