from . import (algorithms, data_preprocessors, heads, losses,  # noqa: F401
               necks, roi_extractors, shared_heads, utils)
