# SoCo R50-C4, 100 epochs on ImageNet-1k: views 224 / 224 (crop scale 0.6-1)
# with in-box cutout, RoIAlign 14x14 on C4 -> res5 -> 2048-d; the FPN
# model's LARS recipe (LR 1.0 x batch / 256, 10-epoch warm-up, cosine).
_base_ = [
    './_base_/models/soco_r50_c4.py',
    './_base_/datasets/soco-c4_imagenet.py',
    './_base_/schedules/soco_lars_100ep.py',
    './_base_/soco_runtime.py',
]

train_dataloader = dict(batch_size=128)  # per GPU
