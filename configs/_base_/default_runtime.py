# Runtime shared by mmsoco's pretraining configs.
default_scope = 'mmsoco'

default_hooks = dict(
    runtime_info=dict(type='RuntimeInfoHook'),
    timer=dict(type='IterTimerHook'),
    loss_curve=dict(type='LossCurveHook'),  # work_dir/loss.png at the end
    logger=dict(type='LoggerHook', interval=50),
    param_scheduler=dict(type='ParamSchedulerHook'),
    checkpoint=dict(type='CheckpointHook', interval=1, max_keep_ckpts=3),
    sampler_seed=dict(type='DistSamplerSeedHook'))

env_cfg = dict(
    cudnn_benchmark=True,
    mp_cfg=dict(mp_start_method='fork', opencv_num_threads=0),
    dist_cfg=dict(backend='nccl'))

log_processor = dict(window_size=10, by_epoch=True)
log_level = 'INFO'
load_from = None
resume = False
randomness = dict(seed=0, diff_rank_seed=True)

# The LR schedule spans the run: when train_cfg asks for another length than
# the param_scheduler was written for (a child config, --cfg-options
# train_cfg.max_iters=N, --iters / --epochs), tools/train.py stretches every
# begin / end / T_max to it (mmsoco/engine/run_length.py): warm-up keeps its
# share of the run and the cosine ends at the last iteration. False keeps a
# param_scheduler exactly as written.
schedule_follows_length = True
