# CPU-sized transfer check: Mask R-CNN with the ResNet-18 FPN of
# configs/soco_r18_fpn_1xb4-12iter_demo.py (128-channel FPN, 4conv1fc head
# 128 / 512) on coco_tiny (80 train + 80 val COCO images) at a small image scale, with
# the SoCo fine-tuning protocol of the R50 config it inherits. Used by
# tools/transfer_chain.py; give the data with
#   --cfg-options train_dataloader.dataset.data_root=... (see the chain tool)
_base_ = './mask-rcnn_r50_fpn_soco_1x_coco.py'

data_root = 'data/coco_tiny/'
pretrained = ''  # '' = random initialisation; set model.init_cfg.checkpoint

# one process on the CPU: plain BN (SyncBN needs a process group); the keys
# are the same, so SoCo's SyncBN weights load unchanged
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    init_cfg=dict(checkpoint=pretrained),
    backbone=dict(depth=18, norm_cfg=norm_cfg),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=128,
              norm_cfg=norm_cfg),
    rpn_head=dict(in_channels=128, feat_channels=128),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=128),
        bbox_head=dict(in_channels=128, conv_out_channels=128,
                       fc_out_channels=512, norm_cfg=norm_cfg),
        mask_roi_extractor=dict(out_channels=128),
        mask_head=dict(in_channels=128, conv_out_channels=128,
                       norm_cfg=norm_cfg)),
    test_cfg=dict(rpn=dict(nms_pre=500, max_per_img=300)))

train_scales = [(533, 256), (533, 288), (533, 320)]
test_scale = (533, 320)
train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='RandomChoiceResize', scales=train_scales, keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='Resize', scale=test_scale, keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True, with_mask=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor'))
]
train_dataloader = dict(
    batch_size=2, num_workers=0, persistent_workers=False,
    sampler=dict(type='InfiniteSampler', shuffle=True),
    dataset=dict(data_root=data_root, pipeline=train_pipeline))
val_dataloader = dict(
    batch_size=1, num_workers=0, persistent_workers=False,
    dataset=dict(data_root=data_root, pipeline=test_pipeline))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/instances_val2017.json')
test_evaluator = val_evaluator

max_iters = 200
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters,
                 val_interval=max_iters)
# batch 2 instead of 16: LR 0.02 x 2 / 16, 20-iteration warm-up, one step
param_scheduler = [
    dict(type='LinearLR', start_factor=0.001, by_epoch=False, begin=0,
         end=20),
    dict(type='MultiStepLR', by_epoch=False, begin=0, end=max_iters,
         milestones=[int(max_iters * 0.75)], gamma=0.1)
]
optim_wrapper = dict(optimizer=dict(lr=0.0025))
auto_scale_lr = dict(enable=False)
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1),
    visualization=dict(draw=False))
log_processor = dict(by_epoch=False)
env_cfg = dict(cudnn_benchmark=False)
