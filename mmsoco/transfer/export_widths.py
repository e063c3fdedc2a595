"""The widths of a detector that an FPN export fits, read from its tensors.

A pretraining run may shrink the network (a ResNet-18 of base width 32, a
64-channel FPN, ...); the detector that receives its export must have the
same widths in the transferred modules, or loading refuses it.
:func:`detector_widths` reads them from the export's shapes and returns
the model overrides (backbone depth and base width, FPN channels, RPN and
RoI widths, 4conv1fc head channels) for an mmdet two-stage FPN config such
as ``configs/transfer/faster-rcnn_r18_fpn_mini-world.py``.
"""
from typing import Dict

from .convert import Export
from .errors import ExportError

# blocks per stage, bottleneck -> ResNet depth (mmdet's arch_settings)
_DEPTHS = {((2, 2, 2, 2), False): 18, ((3, 4, 6, 3), False): 34,
           ((3, 4, 6, 3), True): 50, ((3, 4, 23, 3), True): 101,
           ((3, 8, 36, 3), True): 152}
_HEAD = 'roi_head.bbox_head.'


def _shape(export: Export, key: str):
    value = export.state_dict.get(key)
    if value is None:
        raise ExportError(f'the export has no {key}: not the export of an '
                          'R-FPN pretraining with a 4conv1fc box head')
    return tuple(value.shape)


def _depth(export: Export) -> int:
    sd = export.state_dict
    blocks = tuple(
        len({k.split('.')[2] for k in sd
             if k.startswith(f'backbone.layer{s}.')})
        for s in range(1, 5))
    bottleneck = 'backbone.layer1.0.conv3.weight' in sd
    depth = _DEPTHS.get((blocks, bottleneck))
    if depth is None:
        raise ExportError(f'the export\'s ResNet has {blocks} blocks per '
                          'stage: not a ResNet-18/34/50/101/152')
    return depth


def detector_widths(export: Export) -> Dict[str, dict]:
    """Model overrides (``cfg.model`` keys) under which a two-stage FPN
    detector with a Shared4Conv1FCBBoxHead takes ``export`` whole."""
    if export.arch != 'fpn':
        raise ExportError(f'a {export.arch.upper()} export: this detector '
                          'needs the export of an FPN pretraining')
    base = _shape(export, 'backbone.conv1.weight')[0]
    levels = sorted({int(k.split('.')[2]) for k in export.state_dict
                     if k.startswith('neck.lateral_convs.')})
    lateral = [_shape(export, f'neck.lateral_convs.{i}.conv.weight')
               for i in levels]
    fpn = lateral[0][0]
    conv = _shape(export, _HEAD + 'shared_convs.0.conv.weight')[0]
    fc = _shape(export, _HEAD + 'shared_fcs.0.weight')[0]
    return dict(
        backbone=dict(depth=_depth(export), base_channels=base,
                      stem_channels=base),
        neck=dict(in_channels=[s[1] for s in lateral], out_channels=fpn),
        rpn_head=dict(in_channels=fpn, feat_channels=fpn),
        roi_head=dict(
            bbox_roi_extractor=dict(out_channels=fpn),
            bbox_head=dict(in_channels=fpn, conv_out_channels=conv,
                           fc_out_channels=fc)))


__all__ = ['detector_widths']
