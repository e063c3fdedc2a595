"""The job runner: turns an image set into a proposal store, resumably.

:mod:`.inputs` (checked parameters, the job and its settings, shards),
:mod:`.output` (where a run may write), :mod:`.workdir` (finished chunks in
``OUT.work``), :mod:`.worker` (per-image work in watched child processes),
:mod:`.lock` (one run per output, one process per shard),
:mod:`.progress`, :mod:`.assemble` (the store from the chunks) and
:mod:`.generator` (:func:`generate_store`, which ties them together).
"""
from .assemble import GenerateResult
from .generator import generate_store
from .lock import LockBusy
from .worker import propose_image

__all__ = ['generate_store', 'GenerateResult', 'propose_image', 'LockBusy']
