"""Selective-search proposals: algorithm, filters, store and generator.

``ProposalStore`` itself is plain numpy (``np.load(mmap_mode='r')``), but
importing this package also imports OpenCV (``mmsoco.image_set``) and, through
``mmsoco``, torch and mmengine (``import mmsoco`` applies the stack's compat
patches). Computing proposals also needs numba and Pillow.
"""
from .filters import FILTERS, BoxRules, FilterSpec, filter_boxes, get_filter
from mmsoco.image_set import BadImage, decode_rgb, list_images, load_rgb
from .generator import GenerateResult, generate_store, propose_image
from .lock import LockBusy
from .store import ProposalStore, write_store, write_store_arrays


def selective_search(*args, **kwargs):
    """See :func:`mmsoco.proposals.search.selective_search`."""
    from .search import selective_search as _ss
    return _ss(*args, **kwargs)


__all__ = [
    'ProposalStore', 'write_store', 'write_store_arrays', 'generate_store',
    'GenerateResult', 'propose_image', 'list_images', 'selective_search',
    'filter_boxes',
    'get_filter', 'FILTERS', 'BoxRules', 'FilterSpec', 'BadImage',
    'load_rgb', 'decode_rgb', 'LockBusy'
]
