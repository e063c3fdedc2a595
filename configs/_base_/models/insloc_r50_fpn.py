# InsLoc R50-FPN (docs/algorithms.md, InsLoc model and loss):
# ResNet-50 (BN) -> FPN P2-P5 (256 ch,
# BN, no activation) -> every box on every level (RoIAlign 7x7, aligned) ->
# one head shared by the levels: 4conv (BN, ReLU) + FC 1024 (`bbox_head`,
# mmdet's Shared4Conv1FCBBoxHead layout) + FC 1024 + Linear 128
# (`projector`) -> L2 norm. Key network `target` by EMA m = 0.999, shuffle-BN,
# one 128 x 65536 queue per level, InfoNCE T = 0.2 summed over levels, anchor
# box augmentation of the query's P5 box.
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    type='InsLoc',
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
        zero_init_residual=False),
    neck=dict(
        type='mmdet.FPN',
        in_channels=[256, 512, 1024, 2048],
        out_channels=256,
        num_outs=4,
        norm_cfg=norm_cfg),
    bbox_head=dict(
        type='Shared4Conv1FCEmbedHead',
        in_channels=256,
        roi_feat_size=7,
        num_convs=4,
        conv_out_channels=256,
        fc_out_channels=1024,
        norm_cfg=norm_cfg),
    projector=dict(
        type='InsLocProjector',
        in_channels=1024,
        hid_channels=1024,
        out_channels=128),
    roi_extractor=dict(
        type='BoxRoIExtractor',
        output_size=7,
        strides=(4, 8, 16, 32),
        sampling_ratio=0,
        aligned=True),
    queue_len=65536,
    feat_dim=128,
    momentum=0.999,
    temperature=0.2,
    # query box -> random surviving anchor on P5 (index 3) only
    box_aug=dict(
        levels=(3, ),
        stride=16,
        sides=(32, 64, 128, 256),
        ratios=(0.5, 0.75, 1.0, 1.5, 2.0),
        iou_thr=0.5,
        top_k=4000,
        nms_thr=0.7))
# the key network's EMA step before every iteration (from the runner's
# iteration, as SoCo's); stop before the first step, in one line, if
# queue_len < the global batch
# ExportMapHook writes which module goes to which detector key into every
# checkpoint's meta (read by tools/export_weights.py).
custom_hooks = [
    dict(type='MomentumTargetHook'),
    dict(type='QueueLengthCheckHook'),
    dict(type='SoCoDataHook'),  # counts / logs / stops on bad images
    dict(type='ExportMapHook')
]
