# InsLoc R50-FPN (docs/algorithms.md, InsLoc model and loss): the shared
# R50-FPN 4conv1fc detector parts (r50_fpn_4conv1fc.py: BN, every box on
# every level) + the projector FC 1024 + Linear 128 -> L2 norm. Key network
# `target` by EMA m = 0.999, shuffle-BN, one 128 x 65536 queue per level,
# InfoNCE T = 0.2 summed over levels, anchor box augmentation of the
# query's P5 box.
# Hooks (EMA target, queue check, data, export map):
# configs/_base_/insloc_runtime.py.
_base_ = ['./r50_fpn_4conv1fc.py']
model = dict(
    type='InsLoc',
    projector=dict(
        type='InsLocProjector',
        in_channels=1024,
        hid_channels=1024,
        out_channels=128),
    queue_len=65536,
    feat_dim=128,
    momentum=0.999,
    temperature=0.2,
    # query box -> random surviving anchor on P5 (index 3) only
    box_aug=dict(
        levels=(3, ),
        stride=16,
        sides=(32, 64, 128, 256),
        ratios=(0.5, 0.75, 1.0, 1.5, 2.0),
        iou_thr=0.5,
        top_k=4000,
        nms_thr=0.7))
