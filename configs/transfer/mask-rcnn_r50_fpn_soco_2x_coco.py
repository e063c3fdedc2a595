# Mask R-CNN R50-FPN, COCO 2x (24 epochs, LR steps at 16 and 22: mmdet's
# stock 2x schedule, mmdet::mask_rcnn/mask-rcnn_r50_fpn_2x_coco.py) with the
# SoCo fine-tuning protocol of the 1x config (which inherits mmdet's stock
# Mask R-CNN). Pretrained file: --cfg-options model.init_cfg.checkpoint=...
_base_ = './mask-rcnn_r50_fpn_soco_1x_coco.py'

max_epochs = 24
train_cfg = dict(max_epochs=max_epochs)
param_scheduler = [
    dict(
        type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
        end=500),
    dict(
        type='MultiStepLR',
        begin=0,
        end=max_epochs,
        by_epoch=True,
        milestones=[16, 22],
        gamma=0.1)
]
