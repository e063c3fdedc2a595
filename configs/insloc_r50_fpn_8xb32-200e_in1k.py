# InsLoc R50-FPN, 200 epochs on ImageNet-1k (docs/algorithms.md, InsLoc
# sections): batch 32 per GPU, SGD nesterov, LR 0.03 x global batch / 256,
# wd 1e-4, per-epoch cosine.
#   tools/dist_train.sh configs/insloc_r50_fpn_8xb32-200e_in1k.py 8
_base_ = [
    './_base_/models/insloc_r50_fpn.py',
    './_base_/datasets/insloc_imagenet.py',
    './_base_/schedules/insloc_sgd_200ep.py',
    './_base_/insloc_runtime.py',
]
train_dataloader = dict(batch_size=32)  # per GPU
default_hooks = dict(checkpoint=dict(interval=5))
