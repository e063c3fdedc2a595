# Mask R-CNN R50-FPN, COCO 1x, initialised from mmsoco pretraining
# (docs/algorithms.md, SoCo transfer and published results): SyncBN in
# backbone, FPN, 4conv1fc box head and mask head; nothing frozen;
# multi-scale 640-800 training; weight decay 2.5e-5;
# RGB mean/std. Everything else is mmdet's stock config.
#
# The pretrained file is named in ONE place, model.init_cfg.checkpoint:
#   python tools/train.py configs/transfer/mask-rcnn_r50_fpn_soco_1x_coco.py \
#       --cfg-options model.init_cfg.checkpoint=work_dirs/soco_mmdet.pth
# It may be an export (tools/export_weights.py) or the mmsoco pretraining
# checkpoint itself (converted on the fly). An empty string gives the random
# initialisation baseline.
_base_ = 'mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py'

# registers mmsoco.TransferPretrained and applies mmsoco's compat patches, so
# mmdet's own tools/train.py can run this config as well
custom_imports = dict(imports=['mmsoco.transfer'], allow_failed_imports=False)

# default: the export (tools/export_weights.py) of a run of
# configs/soco_r50_fpn_16xb128-400e_in1k.py in its default work dir
pretrained = ('work_dirs/soco_r50_fpn_16xb128-400e_in1k/'
              'soco_r50_fpn_mmdet.pth')

norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    # loads backbone, neck and roi_head.bbox_head.shared_convs/shared_fcs.0;
    # a detector with another architecture there is refused, naming modules
    init_cfg=dict(type='mmsoco.TransferPretrained', checkpoint=pretrained),
    data_preprocessor=dict(
        mean=[123.675, 116.28, 103.53],
        std=[58.395, 57.12, 57.375],
        bgr_to_rgb=True),
    backbone=dict(
        frozen_stages=-1,
        norm_cfg=norm_cfg,
        norm_eval=False,
        init_cfg=None),
    neck=dict(norm_cfg=norm_cfg),
    roi_head=dict(
        bbox_head=dict(
            type='Shared4Conv1FCBBoxHead',
            conv_out_channels=256,
            norm_cfg=norm_cfg),
        mask_head=dict(norm_cfg=norm_cfg)))

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
