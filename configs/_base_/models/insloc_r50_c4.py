# InsLoc R50-C4 (not released by the reference): the shared R50-C4 parts
# (r50_c4.py: stages 1-3 -> RoIAlign 14x14 on C4 -> res5) -> 7x7 average
# pool -> FC 1024, ReLU, Linear 128 -> L2 norm; one queue. The stride-16
# anchor box augmentation applies to C4 (box_aug=None: off).
# Hooks: configs/_base_/insloc_runtime.py.
_base_ = ['./r50_c4.py']
model = dict(
    type='InsLocC4',
    projector=dict(
        type='InsLocProjector',
        in_channels=2048,
        hid_channels=1024,
        out_channels=128),
    queue_len=65536,
    feat_dim=128,
    momentum=0.999,
    temperature=0.2,
    box_aug=dict(levels=(0, )))
