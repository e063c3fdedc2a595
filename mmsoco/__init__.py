"""mmsoco: detection-aligned self-supervised pretraining (SoCo, InsLoc)."""
from . import compat
from .version import __version__

compat.apply_when_imported()

__all__ = ['__version__']
