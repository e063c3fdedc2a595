# SoCo on your own images (docs/own_images.md): a template to copy and edit.
# ResNet-18 FPN of the R18 family of mmsoco (128-channel FPN, 4conv1fc head
# 128 / 512, as configs/soco_r18_fpn_1xb4-12iter_demo.py, so the export
# loads into configs/transfer/mask-rcnn_r18_fpn_soco_coco-tiny.py), small
# views 160 / 160 / 80, the recipe's augmentations, LARS at LR 1.0 per 256
# images (x batch/256: 0.25 at one GPU x 64), warm-up over the first tenth
# of the run, per-iteration cosine to 1e-6, SyncBN (plain BN in one process).
#   python tools/generate_proposals.py data/my_images data/my_images_proposals
#   python tools/train.py configs/soco_r18_fpn_custom.py
# Every number below that depends on the length is computed here from
# `max_iters`: edit it in a copy of this file (a child config that only
# sets max_iters would keep this file's schedule).
_base_ = [
    './_base_/models/soco_r50_fpn.py',
    './_base_/datasets/soco_imagenet.py',
    './_base_/soco_runtime.py',
]

# -- your data
data_root = 'data/my_images'  # image folder, searched recursively
proposals = 'data/my_images_proposals'  # tools/generate_proposals.py output
ann_file = ''  # optional: a text file of image paths relative to data_root
max_bad_share = 0.05  # stop when more images than this fail to decode

# -- batch and length
batch_size = 64  # per GPU; LR = 1.0 x (GPUs x batch_size) / 256
num_workers = 8  # dataloader processes per GPU
max_iters = 20000  # e.g. 100 passes over 12,800 images at batch 64
warmup_iters = max(1, max_iters // 10)
checkpoint_every = max(1, max_iters // 10)

# -- model: ResNet-18 FPN, 128 channels
model = dict(
    backbone=dict(depth=18),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=128),
    bbox_head=dict(in_channels=128, conv_out_channels=128,
                   fc_out_channels=512),
    projector=dict(in_channels=512, hid_channels=1024, out_channels=128),
    predictor=dict(in_channels=128, hid_channels=1024, out_channels=128))

# -- views: the recipe's, smaller
train_pipeline = [
    dict(type='LoadImageRGB'),
    dict(
        type='SoCoMultiView',
        views=[
            dict(size=160, mode='whole'),
            dict(size=160, mode='crop', scale=(0.5, 1.),
                 ratio=(3 / 4, 4 / 3)),
            dict(size=80, mode='crop', scale=(0.5, 1.),
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
    persistent_workers=True,  # dropped by mmsoco when num_workers=0
    # an endless stream of shuffled passes whose indices carry their pass
    # number: a sample's views are a function of (seed, pass, index), so
    # --resume replays them, bad-image replacements included
    sampler=dict(_delete_=True, type='SeededInfiniteSampler', shuffle=True),
    dataset=dict(
        data_root=data_root,
        proposals=proposals,
        ann_file=ann_file,
        max_bad_share=max_bad_share,
        pipeline=train_pipeline))

# -- optimisation: the recipe's LARS, LR 1.0 per 256 images
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='LARSOptimWrapperConstructor',
    optimizer=dict(
        type='mmselfsup.LARS', lr=1.0, momentum=0.9, weight_decay=1e-5,
        eta=0.001, eps=1e-8))
auto_scale_lr = dict(enable=True, base_batch_size=256)
use_amp = False  # or --amp

train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0,
         end=warmup_iters),
    dict(type='CosineAnnealingLR', T_max=max_iters - warmup_iters,
         eta_min=1e-6, by_epoch=False, begin=warmup_iters, end=max_iters),
]
default_hooks = dict(
    logger=dict(interval=10),
    checkpoint=dict(by_epoch=False, interval=checkpoint_every,
                    max_keep_ckpts=3))
log_processor = dict(by_epoch=False)
