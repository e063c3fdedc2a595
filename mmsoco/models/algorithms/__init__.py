from .insloc import InsLoc
from .insloc_c4 import InsLocC4
from .soco import SoCo
from .soco_c4 import SoCoC4

__all__ = ['SoCo', 'SoCoC4', 'InsLoc', 'InsLocC4']
