"""SoCo's views and InsLoc's composites: pure functions in ``functional``
and ``insloc_functional``, thin registered transforms around them (one per
module)."""
from . import functional, insloc_functional  # noqa: F401
from .byol_colour import BYOLColorAug
from .in_box_cutout import InBoxCutout
from .insloc_composite import InsLocCopyPaste
from .insloc_random_flip import ViewBoxRandomFlip
from .loading import LoadImageRGB
from .pack_insloc_inputs import PackInsLocInputs
from .pack_soco_inputs import PackSoCoInputs
from .soco_multi_view import SoCoMultiView

__all__ = ['functional', 'LoadImageRGB', 'SoCoMultiView', 'BYOLColorAug',
           'InBoxCutout', 'PackSoCoInputs', 'insloc_functional',
           'InsLocCopyPaste', 'ViewBoxRandomFlip', 'PackInsLocInputs']
