"""mmsoco's datasets, samplers, transforms and annotation converters.

The names below are imported on first use, so that a part that needs
neither torch nor mmengine (``mmsoco.datasets.converters``) starts without
loading them; the registries import the registered modules themselves
(``mmsoco/registry.py``, ``locations``).
"""
import importlib

_EXPORTS = {
    'SoCoDataset': 'soco_dataset',
    'InsLocDataset': 'insloc_dataset',
    'SampleIndex': 'samplers',
    'SeededDefaultSampler': 'samplers',
    'SeededInfiniteSampler': 'samplers',
    'DatasetConfigError': 'errors',
    'DatasetMismatchError': 'errors',
    'dataset_error_message': 'errors',
}
# the modules that register components (see mmsoco/registry.py)
REGISTERING = ('mmsoco.datasets.transforms', 'mmsoco.datasets.samplers',
               'mmsoco.datasets.soco_dataset', 'mmsoco.datasets.insloc_dataset')


def __getattr__(name):
    if name in _EXPORTS:
        module = importlib.import_module(f'{__name__}.{_EXPORTS[name]}')
        return getattr(module, name)
    raise AttributeError(f'module {__name__!r} has no attribute {name!r}')


def register_all() -> None:
    """Import every module of this package that registers a component."""
    for module in REGISTERING:
        importlib.import_module(module)


__all__ = list(_EXPORTS) + ['register_all']
