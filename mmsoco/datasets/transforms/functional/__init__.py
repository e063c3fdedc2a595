"""Pure building blocks of SoCo's box-aware views, one concern per module:

- :mod:`.geometry`: crops, resizes, flips and where boxes land in a view;
- :mod:`.pairs`: the shared proposals of a pair of views, their padding,
  clipping and jitter;
- :mod:`.views`: all views of one image with their matched boxes
  (:func:`soco_views`);
- :mod:`.color`: BYOL's colour recipe;
- :mod:`.cutout`: the in-box cutout.

Every function takes an image (RGB uint8 HxWx3 numpy array) and/or boxes
(float32 (N, 4) x1 y1 x2 y2 in continuous pixel coordinates) and, where it
draws random numbers, an explicit ``rng: np.random.Generator``. Nothing here
touches global state, so the registered transforms are thin wrappers and
the tests call these directly (``from mmsoco.datasets.transforms import
functional as F``).
"""
from .color import *  # noqa: F401,F403
from .color import __all__ as _color
from .cutout import *  # noqa: F401,F403
from .cutout import __all__ as _cutout
from .geometry import *  # noqa: F401,F403
from .geometry import __all__ as _geometry
from .pairs import *  # noqa: F401,F403
from .pairs import __all__ as _pairs
from .views import *  # noqa: F401,F403
from .views import __all__ as _views

__all__ = _geometry + _pairs + _views + _color + _cutout
