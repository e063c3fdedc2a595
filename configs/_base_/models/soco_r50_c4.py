# SoCo R50-C4 (docs/algorithms.md, SoCo model, C4): the shared R50-C4 parts
# (r50_c4.py: stages 1-3 -> RoIAlign 14x14 on C4 -> res5) with SyncBN and
# zero-initialised last BNs -> 7x7 average pool -> projector 2048-4096-256
# -> predictor 256-4096-256.
# Hooks (EMA target, data, export map): configs/_base_/soco_runtime.py.
_base_ = ['./r50_c4.py']
norm_cfg = dict(type='SyncBN', requires_grad=True)
model = dict(
    type='SoCoC4',
    backbone=dict(norm_cfg=norm_cfg, zero_init_residual=True),
    shared_head=dict(norm_cfg=norm_cfg),
    projector=dict(
        type='SoCoMLP',
        in_channels=2048,
        hid_channels=4096,
        out_channels=256,
        norm_cfg=norm_cfg),
    predictor=dict(
        type='SoCoMLP',
        in_channels=256,
        hid_channels=4096,
        out_channels=256,
        norm_cfg=norm_cfg),
    base_momentum=0.99)
