"""Selective-search proposals, in three rooms:

- :mod:`.algorithm`: segmentation, hierarchical grouping, box filters;
- :mod:`.store`: the store's format, writing, atomic publishing, reading,
  recall and analysis;
- :mod:`.runner`: the resumable, multi-process, shardable job that builds a
  store (work dir, inputs, workers, lock, progress, assembly, shards).

Imports flow one way: runner -> store -> algorithm. ``ProposalStore``
itself is plain numpy (``np.load(mmap_mode='r')``), but importing this
package also imports OpenCV (through the runner's image decoding) and,
through ``mmsoco``, torch and mmengine (``import mmsoco`` applies the
stack's compat patches). Computing proposals also needs numba and Pillow.
"""
from .algorithm import FILTERS, BoxRules, FilterSpec, filter_boxes, get_filter
from .runner import GenerateResult, LockBusy, generate_store, propose_image
from .store import ProposalStore, StoreError, write_store, write_store_arrays


def selective_search(*args, **kwargs):
    """See :func:`mmsoco.proposals.algorithm.search.selective_search`."""
    from .algorithm.search import selective_search as _ss
    return _ss(*args, **kwargs)


__all__ = [
    'ProposalStore', 'StoreError', 'write_store', 'write_store_arrays',
    'generate_store', 'GenerateResult', 'propose_image', 'selective_search',
    'filter_boxes', 'get_filter', 'FILTERS', 'BoxRules', 'FilterSpec',
    'LockBusy'
]
