# InsLoc R50-C4 (not released by the reference): ResNet-50 stages 1-3 ->
# RoIAlign 14x14 on C4 -> res5 (mmdet ResLayer, `shared_head.layer4`) ->
# 7x7 average pool -> FC 1024, ReLU, Linear 128 -> L2 norm; one queue.
# The stride-16 anchor box augmentation applies to C4 (box_aug=None: off).
_base_ = ['./insloc_r50_fpn.py']
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    _delete_=True,
    type='InsLocC4',
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
        zero_init_residual=False),
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
        type='InsLocProjector',
        in_channels=2048,
        hid_channels=1024,
        out_channels=128),
    roi_extractor=dict(
        type='BoxRoIExtractor',
        output_size=14,
        strides=(16, ),
        sampling_ratio=0,
        aligned=True),
    queue_len=65536,
    feat_dim=128,
    momentum=0.999,
    temperature=0.2,
    box_aug=dict(levels=(0, )))
