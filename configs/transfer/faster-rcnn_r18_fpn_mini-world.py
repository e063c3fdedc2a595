# Few-label detection on a mini world (docs/mini_world_detection.md):
# Faster R-CNN with the ResNet-18 FPN of the R18 pretraining configs
# (configs/soco_r18_fpn_1xb4-12iter_demo.py: 128-channel FPN with BN,
# 4conv1fc box head 128 / 512 with BN), fine-tuned
# on the world's labelled train split at its own image size (~128 px) and
# evaluated on val (COCO box AP). It is the coco_tiny transfer config
# without the mask branch, sized for small images:
# - nothing frozen and BN trained (norm_eval False, inherited), one LR and
#   schedule whatever the initialisation: fair to random initialisation;
# - RPN anchors of 16-256 px (scale 4 instead of 8) for 8-100 px objects;
# - RoI levels by SoCo's rule (sqrt(wh) <= 48 -> P2, <= 96 -> P3, <= 192 ->
#   P4): finest_scale 24, where mmdet's 56 would pool every box of a 128 px
#   image on P2, a level the pretraining used for small boxes only;
# - CPU-sized RoI work (the 4conv1fc head dominates the cost): 64 sampled
#   RoIs per image in training, 100 proposals per image at test.
# Run it through benchmarks/mini_world_detection.py, which sets the data and
# its classes (from the world's JSON), the image size (world.json), the
# widths of the pretrained export, the iterations and the evaluation points.
_base_ = './mask-rcnn_r18_fpn_soco_coco-tiny.py'

data_root = 'data/mini_world/'
image_size = 128
pretrained = ''  # '' = random initialisation

model = dict(
    init_cfg=dict(checkpoint=pretrained),
    rpn_head=dict(anchor_generator=dict(scales=[4])),
    roi_head=dict(
        bbox_roi_extractor=dict(finest_scale=24),
        mask_roi_extractor=None,
        mask_head=None),
    train_cfg=dict(rcnn=dict(sampler=dict(num=64))),
    test_cfg=dict(
        rpn=dict(nms_pre=300, max_per_img=100),
        # every box scored: a short fine-tune still ranks its detections
        rcnn=dict(score_thr=0.0, max_per_img=100)))

train_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=True),
    dict(type='RandomFlip', prob=0.5),
    dict(type='PackDetInputs')
]
test_pipeline = [
    dict(type='LoadImageFromFile', backend_args=None),
    dict(type='Resize', scale=(image_size, image_size), keep_ratio=True),
    dict(type='LoadAnnotations', with_bbox=True),
    dict(type='PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor'))
]
# each split from its folder and JSON: train/ + annotations/train.json, ...
train_dataloader, val_dataloader = (
    dict(batch_size=4,
         dataset=dict(data_root=data_root,
                      ann_file=f'annotations/{split}.json',
                      data_prefix=dict(img=f'{split}/'), pipeline=pipeline,
                      **extra))
    for split, pipeline, extra in (
        ('train', train_pipeline,
         dict(filter_cfg=dict(filter_empty_gt=True, min_size=1))),
        ('val', test_pipeline, {})))
test_dataloader = val_dataloader
val_evaluator = dict(ann_file=data_root + 'annotations/val.json',
                     metric='bbox')
test_evaluator = val_evaluator

max_iters = 300
train_cfg = dict(max_iters=max_iters, val_interval=max_iters // 4)
# batch 4 at LR 0.02 (mmdet's 0.02 is for batch 16: 4x that per image, for
# a short run that random initialisation must also learn from; see
# docs/mini_world_detection.md); the coco_tiny config's 20 warm-up
# iterations and x0.1 step, the step at 3/4 of this length (the schedule
# mmsoco.transfer.recipes.set_max_iters gives any length)
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1], end=max_iters,
         milestones=[int(max_iters * 0.75)]),
]
optim_wrapper = dict(optimizer=dict(lr=0.02))
default_hooks = dict(checkpoint=dict(interval=max_iters // 4))
