# SoCo R50-FPN, 400 epochs on ImageNet-1k: the 100-epoch recipe for 400
# epochs (10-epoch warm-up, cosine to 1e-6); the reference's 400-epoch run
# has no in-box cutout.
_base_ = [
    './_base_/models/soco_r50_fpn.py',
    './_base_/datasets/soco_imagenet_no-cutout.py',
    './_base_/schedules/soco_lars_400ep.py',
    './_base_/soco_runtime.py',
]

train_dataloader = dict(batch_size=128)  # per GPU
