"""SoCo's view pipeline: pure functions in ``functional``, thin registered
transforms around them (one per module)."""
from . import functional  # noqa: F401
from .byol_colour import BYOLColorAug
from .in_box_cutout import InBoxCutout
from .loading import LoadImageRGB
from .pack_soco_inputs import PackSoCoInputs
from .soco_multi_view import SoCoMultiView

__all__ = ['functional', 'LoadImageRGB', 'SoCoMultiView', 'BYOLColorAug',
           'InBoxCutout', 'PackSoCoInputs']
