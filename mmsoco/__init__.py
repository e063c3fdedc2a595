"""mmsoco: detection-aligned self-supervised pretraining (SoCo, InsLoc)."""
from . import compat
from .version import __version__

compat.apply_all()

__all__ = ['__version__']
