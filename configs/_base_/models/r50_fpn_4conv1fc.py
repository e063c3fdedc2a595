# The detector parts an R50-FPN method pretrains, shared by SoCo and InsLoc
# (configs/_base_/models/soco_r50_fpn.py, insloc_r50_fpn.py): ResNet-50
# (stride in the 3x3 conv) -> FPN P2-P5 (256 ch, BN, no activation, no P6)
# -> RoIAlign 7x7 (aligned, adaptive sampling) on P2-P5 -> 4conv1fc head
# (mmdet's Shared4Conv1FCBBoxHead layout, FC 1024). A method's base sets
# the type and its own modules (projector, predictor, queues) and overrides
# only what differs (norm, initialisation).
_base_ = ['./resnet50.py']
norm_cfg = _base_.norm_cfg  # BN, as resnet50.py's
model = dict(
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
    roi_extractor=dict(
        type='BoxRoIExtractor',
        output_size=7,
        strides=(4, 8, 16, 32),
        sampling_ratio=0,
        aligned=True))
