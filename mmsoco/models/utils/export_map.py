"""Export maps: which online module goes to which key prefix of an mmdet
detector. Every algorithm declares one (``EXPORT_MAP``, next to its
``ONLINE`` modules); ``ExportMapHook`` writes it into every checkpoint's
meta under :data:`EXPORT_MAP_META_KEY`, and ``mmsoco.transfer`` reads it
from there. Pure data and pure functions of state dicts.

A map is a JSON-able dict::

    dict(arch='fpn' | 'c4',
         prefixes={'online.module.prefix': 'detector.key.prefix', ...})

and, in checkpoint meta, also ``model_type`` (the algorithm's name).
"""
from typing import Dict, List, Mapping, Optional, Tuple

EXPORT_MAP_META_KEY = 'mmsoco_export_map'
ARCHS = ('fpn', 'c4')

# R50-FPN detectors (SoCo, SoCo*, InsLoc): backbone, FPN and the 4conv1fc
# box head without its classifier and regressor.
FPN_EXPORT_MAP = dict(
    arch='fpn',
    prefixes={
        'backbone': 'backbone',
        'neck': 'neck',
        'bbox_head.shared_convs': 'roi_head.bbox_head.shared_convs',
        'bbox_head.shared_fcs.0': 'roi_head.bbox_head.shared_fcs.0',
    })
# R50-C4 detectors (SoCoC4, InsLocC4): stages 1-3 and the res5 shared head.
C4_EXPORT_MAP = dict(
    arch='c4',
    prefixes={
        'backbone': 'backbone',
        'shared_head.layer4': 'roi_head.shared_head.layer4',
    })


def check_export_map(export_map, where: str = 'export map') -> dict:
    """``export_map`` as a plain dict, or ValueError naming what is wrong."""
    if not isinstance(export_map, Mapping):
        raise ValueError(f'{where} must be a dict(arch=..., prefixes=...), '
                         f'got {type(export_map).__name__}')
    arch, prefixes = export_map.get('arch'), export_map.get('prefixes')
    if arch not in ARCHS:
        raise ValueError(f'{where}: arch must be one of {ARCHS}, got '
                         f'{arch!r}')
    if not isinstance(prefixes, Mapping) or not prefixes or not all(
            isinstance(k, str) and isinstance(v, str) and k and v
            for k, v in prefixes.items()):
        raise ValueError(f'{where}: prefixes must be a non-empty dict of '
                         'online prefix -> detector prefix strings')
    out = dict(arch=arch, prefixes=dict(prefixes))
    if export_map.get('model_type') is not None:
        out['model_type'] = str(export_map['model_type'])
    return out


def map_key(key: str, prefixes: Mapping[str, str]) -> Optional[str]:
    """The detector key of online ``key`` (None: not exported)."""
    for src, dst in prefixes.items():
        if key == src or key.startswith(src + '.'):
            return dst + key[len(src):]
    return None


def apply_export_map(state_dict: Mapping, prefixes: Mapping[str, str]
                     ) -> Tuple[Dict, List[str]]:
    """(detector state dict, dropped keys) of an online state dict."""
    out, dropped = {}, []
    for key, value in state_dict.items():
        new = map_key(key, prefixes)
        if new is None:
            dropped.append(key)
        else:
            out[new] = value
    return out, dropped
