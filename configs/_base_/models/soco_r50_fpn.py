# SoCo R50-FPN (docs/algorithms.md, SoCo model): the shared R50-FPN 4conv1fc
# detector parts (r50_fpn_4conv1fc.py) with SyncBN and the zero-initialised
# last BN of each block -> projector 1024-4096-256 -> predictor 256-4096-256.
# Online network: 49.4M trainable parameters.
# Initialisation as the reference's: its FPN convs keep the msra init that
# mmcv 1.x's ConvModule gives them when built (Kaiming normal, fan_out,
# ReLU; the FPN's Xavier init_weights is never called), its box-head convs
# and FC (with a bias) PyTorch's default layer init. mmdet's instead: neck
# init_cfg=dict(type='Xavier', layer='Conv2d', distribution='uniform') and
# bbox_head init_cfg=None (Kaiming convs, Xavier FC, bias 0).
# Hooks (EMA target, data, export map): configs/_base_/soco_runtime.py.
_base_ = ['./r50_fpn_4conv1fc.py']
reference_fpn_init = dict(
    type='Kaiming',
    layer='Conv2d',
    mode='fan_out',
    nonlinearity='relu',
    distribution='normal')
reference_head_init = dict(type='PyTorchDefault', layer=['Conv2d', 'Linear'])
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    type='SoCo',
    backbone=dict(norm_cfg=norm_cfg, zero_init_residual=True),
    neck=dict(norm_cfg=norm_cfg, init_cfg=reference_fpn_init),
    bbox_head=dict(norm_cfg=norm_cfg, init_cfg=reference_head_init),
    projector=dict(
        type='SoCoMLP',
        in_channels=1024,
        hid_channels=4096,
        out_channels=256,
        norm_cfg=norm_cfg),
    predictor=dict(
        type='SoCoMLP',
        in_channels=256,
        hid_channels=4096,
        out_channels=256,
        norm_cfg=norm_cfg),
    # sqrt(wh) in view pixels: <= 48 -> P2, <= 96 -> P3, <= 192 -> P4
    roi_extractor=dict(level_thresholds=(48, 96, 192)),
    # 'all_levels': every box on every level, as the reference (default);
    # 'assigned_level': each box only on its level (about 4x less head work).
    pool_mode='all_levels',
    base_momentum=0.99)
