# SoCo R50-C4 (docs/algorithms.md, SoCo model, C4): ResNet-50 stages 1-3 ->
# RoIAlign 14x14 on C4 -> res5 (mmdet ResLayer, `shared_head.layer4`) ->
# 7x7 average pool -> projector 2048-4096-256 -> predictor 256-4096-256.
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    type='SoCoC4',
    data_preprocessor=dict(type='SoCoDataPreprocessor'),
    backbone=dict(
        type='mmdet.ResNet',
        depth=50,
        num_stages=3,
        strides=(1, 2, 2),
        dilations=(1, 1, 1),
        out_indices=(2, ),
        frozen_stages=-1,
        style='pytorch',
        norm_cfg=norm_cfg,
        norm_eval=False,
        zero_init_residual=True),
    shared_head=dict(
        type='mmdet.ResLayer',
        depth=50,
        stage=3,
        stride=2,
        dilation=1,
        style='pytorch',
        norm_cfg=norm_cfg,
        norm_eval=False),
    projector=dict(
        type='SoCoMLP',
        in_channels=2048,
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
        output_size=14,
        strides=(16, ),
        sampling_ratio=0,
        aligned=True),
    base_momentum=0.99)
# SoCoDataHook logs the whole-image fallbacks of SoCoDataset every epoch.
# ExportMapHook writes which module goes to which detector key into every
# checkpoint's meta (read by tools/export_weights.py).
custom_hooks = [
    dict(type='SoCoTargetHook'),
    dict(type='SoCoDataHook'),
    dict(type='ExportMapHook')
]
