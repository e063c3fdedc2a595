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

What goes where is the algorithm's export map (``EXPORT_MAP``, declared
next to its ``ONLINE`` modules, ``mmsoco.models.utils.export_map``), which
``ExportMapHook`` writes into every checkpoint's meta and :func:`to_mmdet`
follows; the table above is the FPN and the C4 map. Checkpoints without a
map (written before, or without the hook) take the legacy path,
:mod:`mmsoco.transfer.legacy`, which guesses the map from the key layout.

The detectron2 layout (``stem``, ``res2-5``, ``fpn_lateral``/``fpn_output``,
``box_head.conv1-4``/``fc1``, numpy arrays, ``matching_heuristics``) is
derived from the mmdet one.
"""
import re
from dataclasses import dataclass, field
from typing import Dict, List, Mapping, Optional, Tuple

import torch

from mmsoco.models.utils.export_map import (EXPORT_MAP_META_KEY,
                                            apply_export_map,
                                            check_export_map)
from .errors import ExportError
from .legacy import C4, LEGACY_MAPS, legacy_export_map

SOURCES = ('online', 'target')
FORMATS = ('mmdet', 'detectron2')
# prefixes of the mmdet keys an export fills, per architecture
TRANSFERRED_MODULES = {arch: tuple(m['prefixes'].values())
                       for arch, m in LEGACY_MAPS.items()}
# marks an export file (its meta), as opposed to a pretraining checkpoint
EXPORT_META_KEY = 'mmsoco_transfer'
# where the export map came from
MAP_FROM_META, MAP_FROM_LEGACY = 'checkpoint meta', 'legacy guess'


@dataclass
class Export:
    """What :func:`to_mmdet` produced."""
    arch: str
    state_dict: Dict[str, torch.Tensor]
    modules: Tuple[str, ...]
    source: str = 'online'
    model_type: Optional[str] = None
    dropped: List[str] = field(default_factory=list)
    export_map: Optional[dict] = None
    map_from: Optional[str] = None

    def meta(self) -> dict:
        return dict(arch=self.arch, modules=list(self.modules),
                    source=self.source, model_type=self.model_type,
                    export_map=self.export_map, map_from=self.map_from)


# ------------------------------------------------------------- inspection
def export_map_from_meta(meta: Optional[Mapping],
                         name: str = 'checkpoint') -> Optional[dict]:
    """The export map a checkpoint's meta carries (``ExportMapHook``), or
    None for checkpoints written without one (the legacy path)."""
    found = (meta or {}).get(EXPORT_MAP_META_KEY)
    if found is None:
        return None
    try:
        return check_export_map(found,
                                f'{name}: meta[{EXPORT_MAP_META_KEY!r}]')
    except ValueError as e:
        raise ExportError(str(e)) from None


def strip_wrapper_prefix(state_dict: Mapping[str, torch.Tensor]) -> dict:
    """Drop a DDP ``module.`` prefix shared by every key."""
    keys = list(state_dict)
    if keys and all(k.startswith('module.') for k in keys):
        return {k[len('module.'):]: v for k, v in state_dict.items()}
    return dict(state_dict)


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


def _check_map_fits(state_dict: Mapping, export_map: dict,
                    name: str) -> None:
    missing = [src for src in export_map['prefixes']
               if not any(k.startswith(src + '.') for k in state_dict)]
    if missing:
        raise ExportError(
            f'{name}: its export map ({export_map.get("model_type") or "?"})'
            f' names {missing}, but the checkpoint has no such keys: the '
            'state dict does not belong to the model that wrote the meta')


def to_mmdet(state_dict: Mapping[str, torch.Tensor],
             arch: Optional[str] = None,
             source: str = 'online',
             model_type: Optional[str] = None,
             want: Optional[str] = None,
             name: str = 'checkpoint',
             export_map: Optional[Mapping] = None) -> Export:
    """mmsoco state dict -> mmdet detector keys (see the module table).

    Args:
        state_dict: an mmsoco pretraining ``state_dict``.
        arch: ``'fpn'``/``'c4'``; the export map's when None.
        source: ``'online'`` (the paper's choice) or ``'target'`` (EMA).
        model_type: the algorithm's name, for messages (the map's wins).
        want: the architecture the caller needs; a mismatch (C4 checkpoint
            for FPN keys) is refused with a message.
        export_map: the map the checkpoint's meta carries
            (:func:`export_map_from_meta`); None: the legacy guess from the
            key layout (:func:`~mmsoco.transfer.legacy.legacy_export_map`).
    """
    if source not in SOURCES:
        raise ExportError(f'source must be one of {SOURCES}, got {source!r}')
    state_dict = strip_wrapper_prefix(state_dict)
    if export_map is not None:
        try:
            export_map = check_export_map(export_map, f'{name} export map')
        except ValueError as e:
            raise ExportError(str(e)) from None
        model_type = export_map.get('model_type') or model_type
        _check_map_fits(state_dict, export_map, name)
        map_from = MAP_FROM_META
    else:
        export_map = legacy_export_map(state_dict, model_type, name)
        map_from = MAP_FROM_LEGACY
    found = export_map['arch']
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
    mapped, dropped = apply_export_map(_online_view(state_dict, source),
                                       export_map['prefixes'])
    out = {k: v.detach().clone().cpu() for k, v in mapped.items()}
    return Export(arch=arch, state_dict=out,
                  modules=tuple(export_map['prefixes'].values()),
                  source=source, model_type=model_type, dropped=dropped,
                  export_map=dict(export_map, model_type=model_type),
                  map_from=map_from)


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
