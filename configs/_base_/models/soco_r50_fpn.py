# SoCo R50-FPN (docs/algorithms.md, SoCo model): ResNet-50 (stride in the
# 3x3 conv,
# zero-initialised last BN of each block) -> FPN P2-P5 (256 ch, BN, no
# activation, no P6) -> RoIAlign 7x7 (aligned, adaptive sampling) ->
# 4conv1fc head -> projector 1024-4096-256 -> predictor 256-4096-256.
# Online network: 49.4M trainable parameters.
# Initialisation as the reference's: its FPN convs keep the msra init that
# mmcv 1.x's ConvModule gives them when built (Kaiming normal, fan_out,
# ReLU; the FPN's Xavier init_weights is never called), its box-head convs
# and FC (with a bias) PyTorch's default layer init. mmdet's instead: neck
# init_cfg=dict(type='Xavier', layer='Conv2d', distribution='uniform') and
# bbox_head init_cfg=None (Kaiming convs, Xavier FC, bias 0).
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
    data_preprocessor=dict(type='SoCoDataPreprocessor'),
    backbone=dict(
        type='mmdet.ResNet',
        depth=50,
        num_stages=4,
        out_indices=(0, 1, 2, 3),
        frozen_stages=-1,
        style='pytorch',
        norm_cfg=norm_cfg,
        norm_eval=False,
        zero_init_residual=True),
    neck=dict(
        type='mmdet.FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=256,
        num_outs=4,
        norm_cfg=norm_cfg,
        init_cfg=reference_fpn_init),
    bbox_head=dict(
        type='Shared4Conv1FCEmbedHead',
        in_channels=256,
        roi_feat_size=7,
        num_convs=4,
        conv_out_channels=256,
        fc_out_channels=1024,
        norm_cfg=norm_cfg,
        init_cfg=reference_head_init),
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
    roi_extractor=dict(
        type='BoxRoIExtractor',
        output_size=7,
        strides=(4, 8, 16, 32),
        # sqrt(wh) in view pixels: <= 48 -> P2, <= 96 -> P3, <= 192 -> P4
        level_thresholds=(48, 96, 192),
        sampling_ratio=0,
        aligned=True),
    # 'all_levels': every box on every level, as the reference (default);
    # 'assigned_level': each box only on its level (about 4x less head work).
    pool_mode='all_levels',
    base_momentum=0.99)
# The EMA target follows the runner's iteration (continues after --resume).
# SoCoDataHook logs the whole-image fallbacks of SoCoDataset every epoch.
# ExportMapHook writes which module goes to which detector key into every
# checkpoint's meta (read by tools/export_weights.py).
custom_hooks = [
    dict(type='SoCoTargetHook'),
    dict(type='SoCoDataHook'),
    dict(type='ExportMapHook')
]
