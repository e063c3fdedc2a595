# Runtime of the SoCo configs: mmsoco's default runtime and SoCo's hooks.
# The EMA target follows the runner's iteration (continues after --resume).
# SoCoDataHook logs the whole-image fallbacks of SoCoDataset every epoch.
# ExportMapHook writes which module goes to which detector key into every
# checkpoint's meta (read by tools/export_weights.py).
_base_ = ['./default_runtime.py']
custom_hooks = [
    dict(type='MomentumTargetHook'),
    dict(type='SoCoDataHook'),
    dict(type='ExportMapHook')
]
