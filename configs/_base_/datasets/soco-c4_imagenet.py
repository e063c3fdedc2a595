# SoCo-C4 views: 224 (whole image) / 224 (crop, scale (0.6, 1)), one pair,
# in-box cutout on view 2 only (the 100-epoch C4 recipe), no view-1 box
# jitter (the reference's C4 dataset has none); soco_imagenet.py otherwise.
_base_ = ['./soco_imagenet.py']

# merged into soco_imagenet.py's soco_views: only what differs
soco_views = dict(
    views=[
        dict(size=224, mode='whole'),
        dict(size=224, mode='crop', scale=(0.6, 1.), ratio=(3 / 4, 4 / 3)),
    ],
    view3_mode=None,
    jitter_prob=0.0)
train_pipeline = [
    dict(type='LoadImageRGB'),
    dict(_base_.soco_views, **soco_views),
    _base_.byol_color,
    # view 2 only; mean-colour fill, centre uniform in the box (as the
    # FPN recipe's cutout)
    dict(_base_.cutout, views=(1, )),
    dict(type='PackSoCoInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
