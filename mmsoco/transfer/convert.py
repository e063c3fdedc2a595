"""mmsoco checkpoint -> detector weights, as pure functions of state dicts.

An mmsoco pretraining checkpoint (SoCo, SoCo*, InsLoc: FPN; SoCoC4,
InsLocC4: C4) holds the online network under ``backbone.*``, ``neck.*``,
``bbox_head.*`` (or ``shared_head.layer4.*`` for C4), plus ``projector.*``,
``predictor.*`` (SoCo), ``queue.*`` (InsLoc) and the EMA copy ``target.*``
(docs/algorithms.md, Checkpoint layout). Only the detector's part of the
online (or, on request, the
target) network is exported:

=========================================  ==================================
mmsoco key                                 mmdet key
=========================================  ==================================
backbone.*                                 backbone.*
neck.*                                     neck.*
bbox_head.shared_convs.{0..3}.*            roi_head.bbox_head.shared_convs.*
bbox_head.shared_fcs.0.*                   roi_head.bbox_head.shared_fcs.0.*
shared_head.layer4.* (C4)                  roi_head.shared_head.layer4.*
=========================================  ==================================

The detectron2 layout (``stem``, ``res2-5``, ``fpn_lateral``/``fpn_output``,
``box_head.conv1-4``/``fc1``, numpy arrays, ``matching_heuristics``) is
derived from the mmdet one.
"""
import re
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Tuple

import torch

FPN, C4 = 'fpn', 'c4'
# mmsoco algorithm types (model.type in the saved config) per architecture.
KNOWN_TYPES = {FPN: ('SoCo', 'InsLoc'), C4: ('SoCoC4', 'InsLocC4')}
SOURCES = ('online', 'target')
FORMATS = ('mmdet', 'detectron2')
# prefixes of the mmdet keys an export fills, per architecture
TRANSFERRED_MODULES = {
    FPN: ('backbone', 'neck', 'roi_head.bbox_head.shared_convs',
          'roi_head.bbox_head.shared_fcs.0'),
    C4: ('backbone', 'roi_head.shared_head.layer4'),
}
EXPORT_META_KEY = 'mmsoco_transfer'


class ExportError(ValueError):
    """The input cannot be exported; the message says why and what to do."""


@dataclass
class Export:
    """What :func:`to_mmdet` produced."""
    arch: str
    state_dict: Dict[str, torch.Tensor]
    modules: Tuple[str, ...]
    source: str = 'online'
    model_type: Optional[str] = None
    dropped: List[str] = field(default_factory=list)

    def meta(self) -> dict:
        return dict(arch=self.arch, modules=list(self.modules),
                    source=self.source, model_type=self.model_type)


# ------------------------------------------------------------- inspection
def model_type_from_meta(meta: Optional[Mapping]) -> Optional[str]:
    """``model.type`` of the config an mmengine checkpoint saved, if any."""
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
    known = [t for ts in KNOWN_TYPES.values() for t in ts]
    return next((n for n in names if n in known), None)


def strip_wrapper_prefix(state_dict: Mapping[str, torch.Tensor]) -> dict:
    """Drop a DDP ``module.`` prefix shared by every key."""
    keys = list(state_dict)
    if keys and all(k.startswith('module.') for k in keys):
        return {k[len('module.'):]: v for k, v in state_dict.items()}
    return dict(state_dict)


def _has(keys, prefix: str) -> bool:
    return any(k.startswith(prefix) for k in keys)


def detect_arch(state_dict: Mapping[str, torch.Tensor],
                model_type: Optional[str] = None,
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


def _top(keys) -> set:
    return {k.split('.')[0] for k in keys}


# --------------------------------------------------------------- -> mmdet
def _online_view(state_dict: Mapping[str, torch.Tensor],
                 source: str) -> Dict[str, torch.Tensor]:
    if source == 'online':
        return {k: v for k, v in state_dict.items()
                if not k.startswith('target.')}
    view = {k[len('target.'):]: v for k, v in state_dict.items()
            if k.startswith('target.')}
    if not view:
        raise ExportError('source="target" asked for, but the checkpoint '
                          'has no target.* (EMA) keys')
    return view


def _fpn_map(key: str) -> Optional[str]:
    if key.startswith(('backbone.', 'neck.')):
        return key
    if key.startswith('bbox_head.shared_convs.') \
            or key.startswith('bbox_head.shared_fcs.0.'):
        return 'roi_head.' + key
    return None


def _c4_map(key: str) -> Optional[str]:
    if key.startswith('backbone.'):
        return key
    if key.startswith('shared_head.layer4.'):
        return 'roi_head.' + key
    return None


def to_mmdet(state_dict: Mapping[str, torch.Tensor],
             arch: Optional[str] = None,
             source: str = 'online',
             model_type: Optional[str] = None,
             want: Optional[str] = None,
             name: str = 'checkpoint') -> Export:
    """mmsoco state dict -> mmdet detector keys (see the module table).

    Args:
        state_dict: an mmsoco pretraining ``state_dict``.
        arch: ``'fpn'``/``'c4'``; detected from the keys when None.
        source: ``'online'`` (the paper's choice) or ``'target'`` (EMA).
        want: the architecture the caller needs; a mismatch (C4 checkpoint
            for FPN keys) is refused with a message.
    """
    if source not in SOURCES:
        raise ExportError(f'source must be one of {SOURCES}, got {source!r}')
    state_dict = strip_wrapper_prefix(state_dict)
    found = detect_arch(state_dict, model_type, name)
    arch = arch or found
    if arch != found:
        raise ExportError(f'{name} has the {found.upper()} layout, '
                          f'not {arch.upper()}')
    if want is not None and want != arch:
        raise ExportError(
            f'{name} is a {arch.upper()} checkpoint ({model_type or "?"}): '
            f'it has no {want.upper()} weights '
            + ('(no FPN neck and no 4conv1fc box head); use the C4 transfer '
               'config configs/transfer/mask-rcnn_r50_c4_soco_1x_coco.py'
               if arch == C4 else
               '(no res5 shared head); use an FPN transfer config such as '
               'configs/transfer/mask-rcnn_r50_fpn_soco_1x_coco.py'))
    mapper = _fpn_map if arch == FPN else _c4_map
    out, dropped = {}, []
    for key, value in _online_view(state_dict, source).items():
        new = mapper(key)
        if new is None:
            dropped.append(key)
        else:
            out[new] = value.detach().clone().cpu()
    return Export(arch=arch, state_dict=out,
                  modules=TRANSFERRED_MODULES[arch], source=source,
                  model_type=model_type, dropped=dropped)


# ---------------------------------------------------------- -> detectron2
_BN_FIELDS = ('weight', 'bias', 'running_mean', 'running_var')


def _d2_resnet_key(key: str) -> Optional[str]:
    """mmdet ResNet key (without ``backbone.``) -> detectron2 key."""
    if key.startswith('conv1.'):
        return 'stem.' + key
    if key.startswith('bn1.'):
        return 'stem.conv1.norm.' + key[len('bn1.'):]
    m = re.match(r'layer(\d)\.(\d+)\.(.*)$', key)
    if not m:
        return None
    stage, block, rest = int(m.group(1)) + 1, m.group(2), m.group(3)
    rest = re.sub(r'^conv(\d)\.', r'conv\1.', rest)
    rest = re.sub(r'^bn(\d)\.', r'conv\1.norm.', rest)
    rest = re.sub(r'^downsample\.0\.', 'shortcut.', rest)
    rest = re.sub(r'^downsample\.1\.', 'shortcut.norm.', rest)
    return f'res{stage}.{block}.{rest}'


def _d2_key(key: str) -> Optional[str]:
    if key.endswith('num_batches_tracked'):
        return None
    if key.startswith('backbone.'):
        return _d2_resnet_key(key[len('backbone.'):])
    m = re.match(r'neck\.(lateral|fpn)_convs\.(\d)\.(conv|bn)\.(\w+)$', key)
    if m:
        kind = 'fpn_lateral' if m.group(1) == 'lateral' else 'fpn_output'
        norm = '.norm' if m.group(3) == 'bn' else ''
        return f'{kind}{int(m.group(2)) + 2}{norm}.{m.group(4)}'
    m = re.match(
        r'roi_head\.bbox_head\.shared_convs\.(\d)\.(conv|bn)\.(\w+)$', key)
    if m:
        norm = '.norm' if m.group(2) == 'bn' else ''
        return f'box_head.conv{int(m.group(1)) + 1}{norm}.{m.group(3)}'
    m = re.match(r'roi_head\.bbox_head\.shared_fcs\.0\.(\w+)$', key)
    if m:
        return f'box_head.fc1.{m.group(1)}'
    if key.startswith('roi_head.shared_head.layer4.'):
        rest = _d2_resnet_key('layer4.' + key.split('layer4.', 1)[1])
        return rest
    return None


def to_detectron2(export: Export) -> dict:
    """mmdet-layout export -> the .pkl dict detectron2 loads
    (``{'model': {name: ndarray}, '__author__', 'matching_heuristics'}``)."""
    model, unmapped = {}, []
    for key, value in export.state_dict.items():
        new = _d2_key(key)
        if new is None:
            if not key.endswith('num_batches_tracked'):
                unmapped.append(key)
            continue
        model[new] = value.float().numpy() if value.is_floating_point() \
            else value.numpy()
    if unmapped:
        raise ExportError('no detectron2 name for: ' +
                          ', '.join(unmapped[:5]))
    return {'model': model, '__author__': 'mmsoco',
            'matching_heuristics': True}
