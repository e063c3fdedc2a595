# SoCo* R50-FPN, 400 epochs: four views 224 / 224 / 192 (independent crop)
# / 112 (view 2 downsampled), pairs (1,2), (1,3), (1,4); otherwise the
# 400-epoch SoCo recipe (no in-box cutout).
_base_ = [
    './_base_/models/soco_r50_fpn.py',
    './_base_/datasets/soco-star_imagenet.py',
    './_base_/schedules/soco_lars_400ep.py',
    './_base_/soco_runtime.py',
]

train_dataloader = dict(batch_size=128)  # per GPU
