"""The network an export holds, read from its keys and shapes (a pure
function): an mmdet-layout state dict (``tools/export_weights.py`` output,
or a pretraining checkpoint converted by ``mmsoco.transfer.load_export``)
-> module configs that load it back key for key."""
import re
from typing import Dict, Mapping

import torch

# blocks per ResNet stage -> depth, for basic (no conv3) and bottleneck
RESNET_DEPTHS = {
    (False, (2, 2, 2, 2)): 18, (False, (3, 4, 6, 3)): 34,
    (True, (3, 4, 6, 3)): 50, (True, (3, 4, 23, 3)): 101,
    (True, (3, 8, 36, 3)): 152,
}
BN = dict(type='BN', requires_grad=True)


def _blocks(keys, prefix: str) -> int:
    found = {int(m.group(1)) for k in keys
             for m in [re.match(re.escape(prefix) + r'\.(\d+)\.', k)] if m}
    return max(found) + 1 if found else 0


def resnet_depth(keys, name: str = 'export') -> int:
    keys = list(keys)
    stages = tuple(_blocks(keys, f'backbone.layer{i}') for i in (1, 2, 3))
    stages += (_blocks(keys, 'backbone.layer4')
               or _blocks(keys, 'roi_head.shared_head.layer4'), )
    bottleneck = any(k.startswith('backbone.layer1.0.conv3.') for k in keys)
    depth = RESNET_DEPTHS.get((bottleneck, stages))
    if depth is None:
        raise ValueError(f'{name}: a ResNet with {stages} blocks per stage '
                         f'({"bottleneck" if bottleneck else "basic"}) is '
                         'not one of ResNet-18/34/50/101/152')
    return depth


def probe_arch(state_dict: Mapping[str, torch.Tensor], arch: str,
               name: str = 'export') -> Dict[str, dict]:
    """Module configs (``backbone``, ``neck``, ``bbox_head`` for ``'fpn'``;
    ``backbone``, ``shared_head`` for ``'c4'``) matching ``state_dict``."""
    keys = list(state_dict)
    depth = resnet_depth(keys, name)
    widths = dict(
        stem_channels=int(state_dict['backbone.conv1.weight'].shape[0]),
        base_channels=int(
            state_dict['backbone.layer1.0.conv1.weight'].shape[0]))
    if arch == 'c4':
        return dict(
            backbone=dict(type='mmdet.ResNet', depth=depth, num_stages=3,
                          **widths,
                          strides=(1, 2, 2), dilations=(1, 1, 1),
                          out_indices=(2, ), norm_cfg=BN, style='pytorch'),
            shared_head=dict(type='mmdet.ResLayer', depth=depth, stage=3,
                             stride=2, norm_cfg=BN, style='pytorch'))
    num_outs = _blocks(keys, 'neck.fpn_convs')
    in_channels = [int(state_dict[f'neck.lateral_convs.{i}.conv.weight']
                       .shape[1]) for i in range(num_outs)]
    out_channels = int(state_dict['neck.lateral_convs.0.conv.weight'].shape[0])
    neck_norm = BN if 'neck.lateral_convs.0.bn.weight' in state_dict else None
    head = 'roi_head.bbox_head.'
    num_convs = _blocks(keys, head + 'shared_convs')
    conv = state_dict[head + 'shared_convs.0.conv.weight']
    fc = state_dict[head + 'shared_fcs.0.weight']
    side = int(round((fc.shape[1] / conv.shape[0])**0.5))
    head_norm = BN if head + 'shared_convs.0.bn.weight' in state_dict \
        else None
    return dict(
        backbone=dict(type='mmdet.ResNet', depth=depth, num_stages=4,
                      **widths, out_indices=(0, 1, 2, 3), norm_cfg=BN,
                      style='pytorch'),
        neck=dict(type='mmdet.FPN', in_channels=in_channels,
                  out_channels=out_channels, num_outs=num_outs,
                  norm_cfg=neck_norm),
        bbox_head=dict(type='Shared4Conv1FCEmbedHead',
                       in_channels=int(conv.shape[1]), roi_feat_size=side,
                       num_convs=num_convs,
                       conv_out_channels=int(conv.shape[0]),
                       fc_out_channels=int(fc.shape[0]), norm_cfg=head_norm))
