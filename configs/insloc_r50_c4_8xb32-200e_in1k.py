# InsLoc R50-C4, 200 epochs (a C4 variant the reference never released):
# RoIAlign 14x14 on C4, res5 head, one queue; the FPN recipe otherwise.
_base_ = [
    './_base_/models/insloc_r50_c4.py',
    './_base_/datasets/insloc_imagenet.py',
    './_base_/schedules/insloc_sgd_200ep.py',
    './_base_/insloc_runtime.py',
]
train_dataloader = dict(batch_size=32)  # per GPU
default_hooks = dict(checkpoint=dict(interval=5))
