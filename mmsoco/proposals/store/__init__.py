"""The proposal store: its format (:mod:`.format`), reading
(:mod:`.reader`, memory-mapped), writing (:mod:`.writer`) and atomic
publishing (:mod:`.publish`), and what is computed from a store: recall
against ground truth (:mod:`.eval`) and box statistics, filter advice and
pictures (:mod:`.analysis`).

Plain numpy: reading a store needs neither OpenCV nor numba.
"""
from .format import StoreError, is_store, key_hash, read_meta
from .reader import ProposalStore
from .writer import write_store, write_store_arrays

__all__ = ['StoreError', 'ProposalStore', 'write_store', 'write_store_arrays',
           'is_store', 'read_meta', 'key_hash']
