# Mask R-CNN R50-C4, COCO 1x, initialised from mmsoco's SoCoC4 pretraining:
# the backbone (stages 1-3) and the res5 shared head come from the export;
# as in the C4 protocol of MoCo / SoCo (detectron2 Res5ROIHeadsExtraNorm),
# one extra SyncBN follows res5 (mmsoco.ResLayerExtraNorm, fresh). PyTorch
# style ResNet (stride in the 3x3 conv, as pretrained), SyncBN, nothing
# frozen, multi-scale 640-800, weight decay 2.5e-5, RGB mean/std.
#   python tools/train.py configs/transfer/mask-rcnn_r50_c4_soco_1x_coco.py \
#       --cfg-options model.init_cfg.checkpoint=work_dirs/soco_c4_mmdet.pth
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50-caffe-c4_1x_coco.py'

custom_imports = dict(imports=['mmsoco.transfer'], allow_failed_imports=False)

# default: the export (tools/export_weights.py) of a run of
# configs/soco_r50_c4_16xb128-100e_in1k.py in its default work dir
pretrained = ('work_dirs/soco_r50_c4_16xb128-100e_in1k/'
              'soco_r50_c4_mmdet.pth')

norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    init_cfg=dict(type='mmsoco.TransferPretrained', checkpoint=pretrained),
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        style='pytorch',
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg=None),
    roi_head=dict(
        shared_head=dict(
            type='mmsoco.ResLayerExtraNorm',
            style='pytorch',
            norm_cfg=norm_cfg,
            norm_eval=False)))

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(
        type='RandomChoiceResize',
        scales=[(1333, 640), (1333, 672), (1333, 704), (1333, 736),
                (1333, 768), (1333, 800)],
        keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))

optim_wrapper = dict(optimizer=dict(weight_decay=2.5e-5))
