from .box_roi_extractor import POOL_MODES, BoxRoIExtractor, BoxRoIPooler
from .build import build_roi_extractor

__all__ = ['BoxRoIExtractor', 'BoxRoIPooler', 'POOL_MODES',
           'build_roi_extractor']
