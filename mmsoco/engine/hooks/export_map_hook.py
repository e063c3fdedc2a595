"""Write the algorithm's export map into every checkpoint's meta."""
from mmengine.hooks import Hook
from mmengine.model import is_model_wrapper

from mmsoco.models.utils.export_map import EXPORT_MAP_META_KEY
from mmsoco.registry import HOOKS


@HOOKS.register_module()
class ExportMapHook(Hook):
    """Before a checkpoint is saved, put ``model.export_map()`` (which
    online module goes to which mmdet detector key prefix, the algorithm's
    ``EXPORT_MAP``, and its name) under
    ``checkpoint['meta']['mmsoco_export_map']``, where ``mmsoco.transfer``
    reads it. A model without an export map is left alone (its checkpoints
    export through the legacy guess, or not at all)."""

    priority = 'VERY_LOW'

    def before_save_checkpoint(self, runner, checkpoint: dict) -> None:
        model = runner.model.module if is_model_wrapper(
            runner.model) else runner.model
        export_map = getattr(model, 'export_map', None)
        export_map = export_map() if callable(export_map) else None
        if export_map is not None:
            checkpoint.setdefault('meta', {})[EXPORT_MAP_META_KEY] = \
                export_map
