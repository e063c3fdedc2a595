# Faster R-CNN R50-C4 on PASCAL VOC 07+12 trainval, 24k iterations (LR steps
# at 18k and 22k, 100-iteration warm-up), the VOC protocol of MoCo / SoCo,
# initialised from mmsoco's SoCoC4 pretraining: backbone + res5 shared head
# from the export, one extra SyncBN after res5, pytorch-style SyncBN ResNet,
# nothing frozen, weight decay 2.5e-5, RGB mean/std. Training scales
# 480-800 (step 32) as in the stock mmdet and detectron2 VOC C4 configs.
#   python tools/train.py configs/transfer/faster-rcnn_r50_c4_soco_24k_voc0712.py \
#       --cfg-options model.init_cfg.checkpoint=work_dirs/soco_c4_mmdet.pth
_base_ = 'mmdet::pascal_voc/faster-rcnn_r50-caffe-c4_ms-18k_voc0712.py'

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
            norm_eval=False,
            # mmdet's base loads detectron2's caffe ImageNet res5 here: a
            # second source of weights (and ImageNet weights in the random
            # baseline); TransferPretrained is the only one
            init_cfg=None)))

max_iter = 24000
train_cfg = dict(max_iters=max_iter, val_interval=4000)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0, end=100),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_iter,
        by_epoch=False,
        milestones=[18000, 22000],
        gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(weight_decay=2.5e-5))
default_hooks = dict(checkpoint=dict(by_epoch=False, interval=4000))
