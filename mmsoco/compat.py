"""Every workaround mmsoco needs for the rot in its pinned stack, in one place.

The OpenMMLab 2.x stack (mmengine 0.10.7, mmcv 2.0.1, mmdet 3.3.0,
mmselfsup 1.0.0) predates torch 2.6 and CPU-only distributed training. Each
patch below is small, named after what it fixes, idempotent, and covered by a
test in ``tests/test_compat.py`` that fails without it. ``apply_all()`` runs
as soon as both ``mmsoco`` and ``mmengine`` are imported (right away when
mmengine already is, else just after mmengine's own import, see
:func:`apply_when_imported`), so configs with ``default_scope='mmsoco'`` and
every tool get a working stack without doing anything, while the parts of
mmsoco that need neither torch nor mmengine (the annotation converters)
start without loading them.

Not here on purpose: ``CPUAmpOptimWrapper``
(``mmsoco/engine/optimizers/cpu_amp_optim_wrapper.py``). mmengine's
AmpOptimWrapper is CUDA-only by design, not broken by a newer torch; bf16
autocast on the CPU is a feature, registered as an optim wrapper that configs
and ``tools/train.py --amp`` select, and it patches nothing.
"""
import collections
import contextlib
import functools
import importlib.abc
import importlib.util
import os.path as osp
import sys

_APPLIED = set()


def _once(fn):
    """Run a patch function at most once per process."""

    @functools.wraps(fn)
    def wrapper():
        if fn.__name__ not in _APPLIED:
            fn()
            _APPLIED.add(fn.__name__)

    return wrapper


@_once
def patch_checkpoint_loading():
    """torch >= 2.6 defaults ``torch.load(weights_only=True)``.

    mmengine 0.10.7 calls ``torch.load`` without the argument, so every
    mmengine checkpoint (which pickles its message hub and numpy scalars) is
    refused: ``--resume``, ``load_from`` and
    ``init_cfg=dict(type='Pretrained')`` all break. Local files now load
    through :func:`mmsoco.utils.checkpoint_load.load_checkpoint_file`:
    weights only, with the types an mmengine checkpoint needs allowed, so a
    checkpoint carrying a pickled payload is refused instead of run.
    """
    from mmengine.runner.checkpoint import CheckpointLoader

    from mmsoco.utils.checkpoint_load import load_checkpoint_file

    def load_from_local(filename, map_location=None):
        return load_checkpoint_file(filename, map_location=map_location)

    CheckpointLoader.register_scheme(prefixes='', loader=load_from_local,
                                     force=True)


@_once
def patch_atomic_checkpoints():
    """mmengine 0.10.7 deletes the oldest kept checkpoint before it writes
    the new one, writes it in place and then ``last_checkpoint`` in place: a
    kill in between leaves no complete checkpoint to resume from. Checkpoints
    are written to a temporary name, fsynced and renamed; old ones go only
    after the new one and ``last_checkpoint`` are complete
    (mmsoco/utils/atomic_checkpoints.py)."""
    from mmsoco.utils import atomic_checkpoints
    atomic_checkpoints.install()


@contextlib.contextmanager
def _cuda_set_device_is_noop():
    import torch
    original = torch.cuda.set_device
    torch.cuda.set_device = lambda device: None
    try:
        yield
    finally:
        torch.cuda.set_device = original


def _cpu_capable_init(init_fn):

    @functools.wraps(init_fn)
    def init(backend, *args, **kwargs):
        import torch
        if torch.cuda.is_available():
            return init_fn(backend, *args, **kwargs)
        if backend == 'nccl':
            backend = 'gloo'
        with _cuda_set_device_is_noop():
            return init_fn(backend, *args, **kwargs)

    return init


@_once
def patch_cpu_process_group():
    """mmengine's pytorch and slurm launchers assume CUDA.

    They call ``torch.cuda.set_device`` unconditionally and default to the
    nccl backend, so ``--launcher pytorch|slurm`` dies on a CPU machine. On
    a machine without CUDA the device call is skipped and nccl becomes gloo.
    """
    from mmengine.dist import utils as dist_utils
    dist_utils._init_dist_pytorch = _cpu_capable_init(
        dist_utils._init_dist_pytorch)
    dist_utils._init_dist_slurm = _cpu_capable_init(
        dist_utils._init_dist_slurm)


@_once
def patch_cpu_ddp_wrapper():
    """mmengine's Runner passes ``device_ids=[LOCAL_RANK]`` to DDP.

    torch refuses ``device_ids`` for a module whose parameters live on the
    CPU, and torch's SyncBatchNorm refuses CPU tensors, so distributed CPU
    training could not start. For CPU modules the device ids are dropped and
    SyncBN layers become plain BN (statistics per process, as on one GPU).
    """
    from mmengine.model import MMDistributedDataParallel
    from mmengine.model.utils import revert_sync_batchnorm
    original_init = MMDistributedDataParallel.__init__

    @functools.wraps(original_init)
    def __init__(self, module, *args, **kwargs):
        on_cpu = all(p.device.type == 'cpu' for p in module.parameters())
        if on_cpu:
            kwargs.pop('device_ids', None)
            kwargs.pop('output_device', None)
            module = revert_sync_batchnorm(module)
        original_init(self, module, *args, **kwargs)

    MMDistributedDataParallel.__init__ = __init__


@_once
def patch_dataloader_without_workers():
    """mmengine passes ``persistent_workers`` to torch's DataLoader as the
    config says, and torch refuses ``persistent_workers=True`` with
    ``num_workers=0``: a config written for worker processes could not be
    run in the main process (``--cfg-options
    train_dataloader.num_workers=0``, a debugger, a machine where worker
    processes cannot start). Without workers there is nothing to keep
    alive, so the flag is dropped for every dataloader mmengine builds."""
    from mmengine.runner import Runner
    build = Runner.build_dataloader

    @functools.wraps(build)
    def build_dataloader(dataloader, *args, **kwargs):
        if isinstance(dataloader, dict) and \
                not dataloader.get('num_workers', 0) and \
                dataloader.get('persistent_workers'):
            dataloader = type(dataloader)(dataloader)
            dataloader['persistent_workers'] = False
        return build(dataloader, *args, **kwargs)

    Runner.build_dataloader = staticmethod(build_dataloader)


@_once
def patch_config_pretty_text():
    """mmengine formats the whole config with yapf every time it shows or
    saves it: five times in one training run (environment log, runtime
    info, config dump, visualizer, checkpoint meta), ~1 s of CPU each for a
    SoCo config on the main process's path. The text depends only on the
    config's contents, so an unchanged config is formatted once.
    """
    from mmengine.config import Config
    format_text = Config.pretty_text.fget
    cache = collections.OrderedDict()

    def pretty_text(self):
        key = (self.filename, self._format_python_code,
               repr(self._cfg_dict.to_dict()))
        if key not in cache:
            cache[key] = format_text(self)
            while len(cache) > 8:
                cache.popitem(last=False)
        return cache[key]

    Config.pretty_text = property(pretty_text, doc=Config.pretty_text.__doc__)


def apply_all():
    """Apply every patch (safe to call many times)."""
    patch_checkpoint_loading()
    patch_atomic_checkpoints()
    patch_cpu_process_group()
    patch_cpu_ddp_wrapper()
    patch_dataloader_without_workers()
    patch_config_pretty_text()


class _AfterImport(importlib.abc.MetaPathFinder):
    """Calls ``callback()`` right after the top-level package ``name`` has
    been imported (once; the finder then leaves ``sys.meta_path``)."""

    def __init__(self, name: str, callback):
        self.name, self.callback = name, callback

    def find_spec(self, fullname, path=None, target=None):
        if fullname != self.name:
            return None
        if self in sys.meta_path:
            sys.meta_path.remove(self)
        spec = importlib.util.find_spec(fullname)
        if spec is None or spec.loader is None:
            return spec
        exec_module, callback = spec.loader.exec_module, self.callback

        def exec_then_call(module):
            exec_module(module)
            callback()

        spec.loader.exec_module = exec_then_call
        return spec


def apply_when_imported() -> None:
    """:func:`apply_all` now when mmengine is imported already, else right
    after its import (what ``import mmsoco`` does)."""
    if 'mmengine' in sys.modules:
        apply_all()
    elif not any(isinstance(f, _AfterImport) for f in sys.meta_path):
        sys.meta_path.insert(0, _AfterImport('mmengine', apply_all))
