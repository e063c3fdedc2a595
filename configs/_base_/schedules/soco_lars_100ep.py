# SoCo's optimisation (ALGORITHMS.md §1.4): LARS (trust coefficient 0.001,
# eps 1e-8) over SGD momentum 0.9, weight decay 1e-5; biases and norm
# parameters are excluded from weight decay and from LARS scaling
# (LARSOptimWrapperConstructor). SoCoLARS is the reference's update (weight
# decay added to the gradient, then the trust ratio eta * ||w|| /
# (||g + wd * w|| + eps)); type='mmselfsup.LARS' gives mmselfsup's
# (eta * ||w|| / (||g|| + wd * ||w|| + eps)).
# AMP switch (the reference trains with AMP): use_amp = True, like --amp,
# makes tools/train.py use AmpOptimWrapper (fp16) on CUDA, bf16 on the CPU.
use_amp = False
optim_wrapper = dict(
    type='OptimWrapper',
    constructor='LARSOptimWrapperConstructor',
    optimizer=dict(
        type='SoCoLARS',
        lr=1.0,  # per 256 images; scaled by auto_scale_lr below
        momentum=0.9,
        weight_decay=1e-5,
        eta=0.001,
        eps=1e-8))
# LR = 1.0 x (GPUs x batch per GPU) / 256: 8.0 at 16 x 128.
auto_scale_lr = dict(enable=True, base_batch_size=256)

max_epochs = 100
warmup_epochs = 10
# Linear warm-up from LR / 100, then cosine to 1e-6, both per iteration.
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
