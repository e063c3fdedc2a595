# Multi-process smoke config: a tiny regressor, 6 iterations, no checkpoints.
default_scope = 'mmsoco'
custom_imports = dict(imports=['tests.dist_toy.toy'],
                      allow_failed_imports=False)
model = dict(type='ToyRegressor', width=8)
train_dataloader = dict(
    batch_size=4, num_workers=0,
    sampler=dict(type='DefaultSampler', shuffle=True),
    dataset=dict(type='ToyDataset', length=64))
train_cfg = dict(type='IterBasedTrainLoop', max_iters=6)
optim_wrapper = dict(optimizer=dict(type='SGD', lr=0.05, momentum=0.9))
custom_hooks = [dict(type='RankRecorderHook')]
default_hooks = dict(checkpoint=dict(type='CheckpointHook', interval=1000),
                     logger=dict(type='LoggerHook', interval=1))
env_cfg = dict(cudnn_benchmark=False, dist_cfg=dict(backend='nccl'))
randomness = dict(seed=0)
log_level = 'INFO'
