"""``BoxRoIPooler``, the former name of :class:`BoxRoIExtractor` (kept
importable from here and registered under that name for old configs)."""
from .box_roi_extractor import BoxRoIExtractor, BoxRoIPooler

__all__ = ['BoxRoIExtractor', 'BoxRoIPooler']
