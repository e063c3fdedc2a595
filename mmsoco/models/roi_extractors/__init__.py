from .box_roi_extractor import POOL_MODES, BoxRoIExtractor

__all__ = ['BoxRoIExtractor', 'POOL_MODES']
