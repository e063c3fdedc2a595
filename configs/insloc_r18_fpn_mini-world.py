# InsLoc on the mini detection world (docs/mini_world.md): the ResNet-18
# FPN of the R18 family (128-channel FPN, 4conv1fc head 128 / 512), copy-
# paste composites on a 128 px canvas (the world's image side), the
# recipe's SGD at LR 0.03 per 256 images (x batch / 256: 0.001875 at
# batch 16), per-iteration cosine to 0, plain BN, a 4,096-key queue.
#   python tools/make_mini_world.py data/mini_world
#   python tools/train.py configs/insloc_r18_fpn_mini-world.py
_base_ = [
    './_base_/models/insloc_r50_fpn.py',
    './_base_/datasets/insloc_imagenet.py',
    './_base_/schedules/insloc_sgd_200ep.py',
    './_base_/insloc_runtime.py',
]

data_root = 'data/mini_world/unlabeled'
image_size = 128  # the world's image side (world.json image_size)

batch_size = 16  # LR = 0.03 x batch_size / 256
num_workers = 1
max_iters = 300

norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    backbone=dict(depth=18, norm_cfg=norm_cfg),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=128,
              norm_cfg=norm_cfg),
    bbox_head=dict(in_channels=128, conv_out_channels=128,
                   fc_out_channels=512, norm_cfg=norm_cfg),
    projector=dict(in_channels=512, hid_channels=512),
    queue_len=4096)

train_pipeline = [
    dict(type='LoadImageRGB'),
    dict(
        type='InsLocCopyPaste',
        num_views=2,
        canvas=image_size,
        fore_range=(image_size // 2, image_size - 1),
        scale=(0.2, 1.0),
        ratio=(0.5, 2.0)),
    dict(
        type='ViewColorAug',
        jitter=(0.4, 0.4, 0.4, 0.1),
        jitter_prob=0.8,
        gray_prob=0.2,
        blur_prob=0.5,
        solarize_prob=0.0,
        blur_sigma=(0.1, 2.0)),
    dict(type='ViewBoxRandomFlip', prob=0.5),
    dict(type='PackInsLocInputs'),
]
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=num_workers,
    persistent_workers=num_workers > 0,
    pin_memory=False,
    sampler=dict(_delete_=True, type='SeededInfiniteSampler', shuffle=True),
    dataset=dict(data_root=data_root, ann_file='', pipeline=train_pipeline))

train_cfg = dict(_delete_=True, type='IterBasedTrainLoop',
                 max_iters=max_iters)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=0.,
         by_epoch=False, begin=0, end=max_iters)
]
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(by_epoch=False, interval=max(1, max_iters // 4),
                    max_keep_ckpts=4))
log_processor = dict(by_epoch=False)
env_cfg = dict(cudnn_benchmark=False)
