# The detector parts an R50-C4 method pretrains, shared by SoCo-C4 and
# InsLoc-C4 (configs/_base_/models/soco_r50_c4.py, insloc_r50_c4.py):
# ResNet-50 stages 1-3 -> RoIAlign 14x14 on C4 (stride 16) -> res5 (mmdet
# ResLayer, `shared_head.layer4`); the method pools it to 2048-d. A method's
# base sets the type and its own modules and overrides only what differs.
_base_ = ['./resnet50.py']
norm_cfg = _base_.norm_cfg  # BN, as resnet50.py's
model = dict(
    backbone=dict(
        num_stages=3,
        strides=(1, 2, 2),
        dilations=(1, 1, 1),
        out_indices=(2, )),
    shared_head=dict(
        type='mmdet.ResLayer',
        depth=50,
        stage=3,
        stride=2,
        dilation=1,
        style='pytorch',
        norm_cfg=norm_cfg,
        norm_eval=False),
    roi_extractor=dict(
        type='BoxRoIExtractor',
        output_size=14,
        strides=(16, ),
        sampling_ratio=0,
        aligned=True))
