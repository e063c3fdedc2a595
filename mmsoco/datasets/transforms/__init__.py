"""SoCo's views and InsLoc's composites: pure functions in ``functional``
and ``insloc_functional``, thin registered transforms around them (one per
module)."""
from . import functional, insloc_functional  # noqa: F401
from .in_box_cutout import InBoxCutout
from .insloc_composite import InsLocCopyPaste
from .loading import LoadImageRGB
from .pack_insloc_inputs import PackInsLocInputs
from .pack_soco_inputs import PackSoCoInputs
from .soco_multi_view import SoCoMultiView
from .view_box_random_flip import ViewBoxRandomFlip
from .view_color_aug import ViewColorAug

__all__ = ['functional', 'LoadImageRGB', 'SoCoMultiView', 'ViewColorAug',
           'InBoxCutout', 'PackSoCoInputs', 'insloc_functional',
           'InsLocCopyPaste', 'ViewBoxRandomFlip', 'PackInsLocInputs']
