# Runtime of the InsLoc configs: mmsoco's default runtime and InsLoc's hooks.
# The key network's EMA step before every iteration (from the runner's
# iteration, as SoCo's); stop before the first step, in one line, if
# queue_len < the global batch.
# ExportMapHook writes which module goes to which detector key into every
# checkpoint's meta (read by tools/export_weights.py).
_base_ = ['./default_runtime.py']
custom_hooks = [
    dict(type='MomentumTargetHook'),
    dict(type='QueueLengthCheckHook'),
    dict(type='SoCoDataHook'),  # counts / logs / stops on bad images
    dict(type='ExportMapHook')
]
