# InsLoc's optimisation (docs/algorithms.md, InsLoc recipe and published
# results): SGD nesterov momentum 0.9,
# LR 0.03 per 256 images (auto-scaled to the real global batch), weight
# decay 1e-4, per-epoch cosine to 0.
optim_wrapper = dict(
    type='OptimWrapper',
    optimizer=dict(
        type='SGD', lr=0.03, momentum=0.9, weight_decay=1e-4,
        nesterov=True))
auto_scale_lr = dict(enable=True, base_batch_size=256)
max_epochs = 200
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_epochs, eta_min=0.,
         by_epoch=True, begin=0, end=max_epochs)
]
train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=max_epochs)
