from . import transforms  # noqa: F401
from .insloc_dataset import InsLocDataset
from .soco_dataset import SoCoDataset

__all__ = ['SoCoDataset', 'InsLocDataset']
