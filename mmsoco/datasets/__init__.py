from . import transforms  # noqa: F401
from .errors import (DatasetConfigError, DatasetMismatchError,
                     dataset_error_message)
from .insloc_dataset import InsLocDataset
from .samplers import (SampleIndex, SeededDefaultSampler,
                       SeededInfiniteSampler)
from .soco_dataset import SoCoDataset

__all__ = ['SoCoDataset', 'InsLocDataset', 'SampleIndex',
           'SeededDefaultSampler', 'SeededInfiniteSampler',
           'DatasetConfigError', 'DatasetMismatchError',
           'dataset_error_message']
