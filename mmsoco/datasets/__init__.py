from . import transforms  # noqa: F401
from .soco_dataset import SoCoDataset

__all__ = ['SoCoDataset']
