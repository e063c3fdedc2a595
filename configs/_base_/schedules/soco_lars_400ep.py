# SoCo's 400-epoch schedule: the 100-epoch one (LARS, LR 1.0 x batch/256,
# 10-epoch warm-up from LR/100, per-iteration cosine to 1e-6), longer.
_base_ = ['./soco_lars_100ep.py']

max_epochs = 400
warmup_epochs = 10
param_scheduler = [
    dict(
        type='LinearLR',
        start_factor=0.01,
        end_factor=1.0,
        by_epoch=True,
        begin=0,
        end=warmup_epochs,
        convert_to_iter_based=True),
    dict(
        type='CosineAnnealingLR',
        T_max=max_epochs - warmup_epochs,
        eta_min=1e-6,
        by_epoch=True,
        begin=warmup_epochs,
        end=max_epochs,
        convert_to_iter_based=True),
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
