"""The proposal algorithm: Felzenszwalb segmentation (:mod:`.segment`,
numba-compiled), selective search's hierarchical grouping (:mod:`.search`)
and the rules that keep or drop a box (:mod:`.filters`).

Only the filters are imported here: :mod:`.search` compiles its loops with
numba on first use, so it is imported where it is called.
"""
from .filters import FILTERS, BoxRules, FilterSpec, filter_boxes, get_filter

__all__ = ['FILTERS', 'BoxRules', 'FilterSpec', 'filter_boxes', 'get_filter']
