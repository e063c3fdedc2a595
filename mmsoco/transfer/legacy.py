"""LEGACY PATH: what to export from a checkpoint that carries no export map.

Checkpoints written before the algorithms declared their export map
(``EXPORT_MAP``, written into checkpoint meta by ``ExportMapHook``), or by a
run whose config lacks that hook, or bare state dicts, say nothing about
their layout. For them, and only for them, the exporter guesses: the
architecture from the key layout (:func:`detect_arch`), then the standard
FPN or C4 map of ``mmsoco.models.utils.export_map``; the algorithm's name
(for messages and the export's meta) from the ``model.type`` of the config
text the runner saved (:func:`model_type_from_meta`). Checkpoints with a
map never come here.
"""
import re
from typing import Mapping, Optional

from mmsoco.models.utils.export_map import C4_EXPORT_MAP, FPN_EXPORT_MAP
from .errors import ExportError

FPN, C4 = 'fpn', 'c4'
LEGACY_MAPS = {FPN: FPN_EXPORT_MAP, C4: C4_EXPORT_MAP}


def known_model_types() -> tuple:
    """Names of the registered mmsoco models that declare an export map."""
    from mmsoco.registry import MODELS
    return tuple(name for name, cls in MODELS.module_dict.items()
                 if getattr(cls, 'EXPORT_MAP', None) is not None)


def model_type_from_meta(meta: Optional[Mapping]) -> Optional[str]:
    """``model.type`` of the config an mmengine checkpoint saved, if any
    (a dict, or the config text, read with a regular expression)."""
    cfg = (meta or {}).get('cfg')
    if isinstance(cfg, Mapping):
        model = cfg.get('model') or {}
        return model.get('type') if isinstance(model, Mapping) else None
    if not isinstance(cfg, str):
        return None
    found = re.search(r"^model\s*=\s*dict\((.*)", cfg, re.M | re.S)
    if not found:
        return None
    names = [n.split('.')[-1] for n in re.findall(
        r"\btype\s*=\s*['\"]([\w.]+)['\"]", found.group(1))]
    known = known_model_types()
    return next((n for n in names if n in known), None)


def _has(keys, prefix: str) -> bool:
    return any(k.startswith(prefix) for k in keys)


def _top(keys) -> set:
    return {k.split('.')[0] for k in keys}


def detect_arch(state_dict: Mapping, model_type: Optional[str] = None,
                name: str = 'checkpoint') -> str:
    """``'fpn'`` or ``'c4'`` from the key layout; refuses anything else."""
    keys = list(state_dict)
    if _has(keys, 'roi_head.') or _has(keys, 'rpn_head.'):
        raise ExportError(
            f'{name} is a detector checkpoint (it has roi_head/rpn_head '
            'keys), not an mmsoco pretraining checkpoint: load it with '
            '`load_from` in an mmdet config instead')
    ours = _has(keys, 'projector.') or _has(keys, 'target.')
    if not ours or not _has(keys, 'backbone.'):
        raise ExportError(
            f'{name} is not an mmsoco pretraining checkpoint: expected '
            'backbone.* with projector.*/target.* keys (SoCo, SoCoC4, '
            f'InsLoc, InsLocC4), found top-level modules '
            f'{sorted(_top(keys))[:8]}')
    if _has(keys, 'shared_head.layer4.') and not _has(keys, 'neck.'):
        return C4
    if _has(keys, 'neck.') and _has(keys, 'bbox_head.shared_convs.') \
            and _has(keys, 'bbox_head.shared_fcs.0.'):
        return FPN
    raise ExportError(
        f'{name} ({model_type or "unknown model type"}) has neither the FPN '
        'layout (neck.*, bbox_head.shared_convs.*, bbox_head.shared_fcs.0) '
        'nor the C4 layout (shared_head.layer4.*): cannot tell what to '
        f'export; top-level modules: {sorted(_top(keys))}')


def legacy_export_map(state_dict: Mapping, model_type: Optional[str] = None,
                      name: str = 'checkpoint') -> dict:
    """The export map guessed from the key layout (see the module doc)."""
    arch = detect_arch(state_dict, model_type, name)
    return dict(LEGACY_MAPS[arch], model_type=model_type)
