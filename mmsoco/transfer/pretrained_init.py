"""``init_cfg=dict(type='mmsoco.TransferPretrained', checkpoint=...)``: the
one place a transfer config names its pretrained file."""
from typing import Optional

from mmsoco.registry import WEIGHT_INITIALIZERS
from .check import arch_of_detector, load_transfer_weights


@WEIGHT_INITIALIZERS.register_module()
class TransferPretrained:
    """Initialise a detector from an mmsoco export or pretraining checkpoint.

    Set as the *detector's* ``init_cfg``. mmengine initialises a module's own
    ``init_cfg`` before its children, so this initialiser first runs the
    children's ``init_weights`` (they are then marked initialised and not
    re-initialised afterwards) and then loads the transferred modules with
    :func:`load_transfer_weights`: a detector whose architecture differs
    from the pretraining one fails with the mismatching modules named.

    Args:
        checkpoint: export (tools/export_weights.py) or mmsoco checkpoint.
            ``None`` or ``''``: random initialisation (the baseline).
        strict: raise on a mismatch (default) instead of logging it.
        source: for raw checkpoints, ``'online'`` or ``'target'`` network.
    """

    def __init__(self, checkpoint: Optional[str] = None, strict: bool = True,
                 source: str = 'online'):
        self.checkpoint = checkpoint
        self.strict = strict
        self.source = source
        self.wholemodule = False

    def __call__(self, module) -> None:
        for child in module.children():
            if hasattr(child, 'init_weights') and not getattr(
                    child, 'is_init', False):
                child.init_weights()
        if self.checkpoint:
            import os.path as osp

            from .errors import ExportError
            from .io import load_export
            if not osp.isfile(self.checkpoint):
                raise ExportError(
                    f'pretrained file {self.checkpoint} not found: export a '
                    'pretraining checkpoint with `python '
                    'tools/export_weights.py CKPT OUT` and pass --cfg-options '
                    'model.init_cfg.checkpoint=OUT (\'\' trains from a random '
                    'initialisation)')
            export = load_export(self.checkpoint, source=self.source,
                                 want=arch_of_detector(module))
            load_transfer_weights(module, export, strict=self.strict)

    def _get_init_info(self) -> str:
        return f'{type(self).__name__}: load {self.checkpoint}'
