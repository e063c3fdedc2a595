# SoCo's 400-epoch schedule: the 100-epoch one (LARS, LR 1.0 x batch/256,
# 10-epoch warm-up from LR/100, per-iteration cosine to 1e-6), longer.
_base_ = ['./soco_lars_100ep.py']

max_epochs = 400
warmup_epochs = 10
# the 100-epoch warm-up as it is, the cosine stretched to max_epochs
param_scheduler = [
    _base_.param_scheduler[0],
    dict(_base_.param_scheduler[1],
         T_max=max_epochs - warmup_epochs,
         end=max_epochs),
]
train_cfg = dict(max_epochs=max_epochs)
