# SoCo R50-FPN, the recipe of `python tools/train.py configs/soco_r50_fpn.py`:
# 100 epochs on ImageNet-1k at 16 GPUs x 128 images (docs/algorithms.md,
# SoCo; the other recipes carry mm's full names,
# {algo}_{backbone}_{gpus}xb{batch}-{schedule}_{dataset}):
# views 224 / 224 / 112 with in-box cutout, LARS, LR 1.0 x batch / 256
# (8.0 at 16 GPUs x 128), 10-epoch warm-up from LR / 100, per-iteration
# cosine to 1e-6, weight decay 1e-5, SyncBN, EMA target 0.99 -> 1.
#   tools/dist_train.sh configs/soco_r50_fpn.py 8 [--amp]
_base_ = [
    './_base_/models/soco_r50_fpn.py',
    './_base_/datasets/soco_imagenet.py',
    './_base_/schedules/soco_lars_100ep.py',
    './_base_/soco_runtime.py',
]

train_dataloader = dict(batch_size=128)  # per GPU

# AMP: use_amp (False) in the schedule base; True, --amp or
# --cfg-options use_amp=True trains with mixed precision.
