# SoCo on the mini detection world (docs/mini_world.md): ResNet-18 FPN of
# the R18 family (128-channel FPN, 4conv1fc head 128 / 512, so the export
# loads into configs/transfer/faster-rcnn_r18_fpn_mini-world.py), views
# 128 / 128 / 64 of the world's 128 px images, the recipe's augmentations,
# LARS at LR 1.0 per 256 images (x batch / 256: 0.0625 at batch 16), warm-up
# over the first tenth, per-iteration cosine to 1e-6, plain BN (one
# process on the CPU).
#   python tools/make_mini_world.py data/mini_world
#   python tools/generate_proposals.py data/mini_world/unlabeled \
#       data/mini_world/proposals --filter small_objects --scale 100 \
#       --min-size 20   # SoCo's defaults find 19 % of the world's objects
#   python tools/train.py configs/soco_r18_fpn_mini-world.py
# benchmarks/mini_world.py runs it with --cfg-options for its paths and
# lengths; every length-dependent number below follows `max_iters`.
_base_ = [
    './_base_/models/soco_r50_fpn.py',
    './_base_/datasets/soco_imagenet.py',
    './_base_/soco_runtime.py',
]

data_root = 'data/mini_world/unlabeled'
proposals = 'data/mini_world/proposals'
image_size = 128  # the world's image side (world.json image_size)

batch_size = 16  # LR = 1.0 x batch_size / 256
num_workers = 1
max_iters = 300  # 2.4 passes over 2,000 images, ~20 CPU-minutes
warmup_iters = max(1, max_iters // 10)

norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    backbone=dict(depth=18, norm_cfg=norm_cfg),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=128,
              norm_cfg=norm_cfg),
    bbox_head=dict(in_channels=128, conv_out_channels=128,
                   fc_out_channels=512, norm_cfg=norm_cfg),
    projector=dict(in_channels=512, hid_channels=1024, out_channels=128,
                   norm_cfg=dict(type='BN1d')),
    predictor=dict(in_channels=128, hid_channels=1024, out_channels=128,
                   norm_cfg=dict(type='BN1d')),
    # each box pooled on its own level only: ~4x less RoI-head work on CPU
    pool_mode='assigned_level')

train_pipeline = [
    dict(type='LoadImageRGB'),
    dict(
        type='SoCoMultiView',
        views=[
            dict(size=image_size, mode='whole'),
            dict(size=image_size, mode='crop', scale=(0.5, 1.),
                 ratio=(3 / 4, 4 / 3)),
            dict(size=image_size // 2, mode='crop', scale=(0.5, 1.),
                 ratio=(3 / 4, 4 / 3)),
        ],
        view3_mode='independent',
        num_boxes=4,
        max_tries=5,
        flip_prob=0.5,
        jitter_prob=0.5,
        jitter_mag=0.1,
        interpolation='area'),
    dict(
        type='ViewColorAug',
        jitter=(0.4, 0.4, 0.2, 0.1),
        jitter_prob=0.8,
        gray_prob=0.2,
        blur_prob=(1.0, 0.1),
        solarize_prob=(0.0, 0.2),
        blur_sigma=(0.1, 2.0)),
    dict(type='InBoxCutout', prob=0.5, area=(0.1, 0.3), views=(1, 2)),
    dict(type='PackSoCoInputs'),
]
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=num_workers,
    persistent_workers=num_workers > 0,
    pin_memory=False,
    sampler=dict(_delete_=True, type='SeededInfiniteSampler', shuffle=True),
    dataset=dict(
        data_root=data_root,
        proposals=proposals,
        ann_file='',
        pipeline=train_pipeline))

optim_wrapper = dict(
    type='OptimWrapper',
    constructor='LARSOptimWrapperConstructor',
    optimizer=dict(
        type='mmselfsup.LARS', lr=1.0, momentum=0.9, weight_decay=1e-5,
        eta=0.001, eps=1e-8))
auto_scale_lr = dict(enable=True, base_batch_size=256)

train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='CosineAnnealingLR', T_max=max_iters - warmup_iters,
         eta_min=1e-6, by_epoch=False, begin=warmup_iters, end=max_iters),
]
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(by_epoch=False, interval=max(1, max_iters // 4),
                    max_keep_ckpts=4))
log_processor = dict(by_epoch=False)
env_cfg = dict(cudnn_benchmark=False)
