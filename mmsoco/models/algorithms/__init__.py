from .soco import SoCo
from .soco_c4 import SoCoC4

__all__ = ['SoCo', 'SoCoC4']
