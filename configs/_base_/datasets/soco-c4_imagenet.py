# SoCo-C4 views: 224 (whole image) / 224 (crop, scale (0.6, 1)), one pair,
# in-box cutout (the 100-epoch C4 recipe), no view-1 box jitter (the
# reference's C4 dataset has none).
_base_ = ['./soco_imagenet.py']

soco_views = dict(
    type='SoCoMultiView',
    views=[
        dict(size=224, mode='whole'),
        dict(size=224, mode='crop', scale=(0.6, 1.), ratio=(3 / 4, 4 / 3)),
    ],
    view3_mode=None,
    num_boxes=4,
    max_tries=5,
    flip_prob=0.5,
    jitter_prob=0.0,
    jitter_mag=0.1,
    interpolation='area',
    # the reference's boxes (ALGORITHMS.md §1.2): a view-1 box is the whole
    # proposal, its partner the part inside the crop ('overlap': both clipped
    # to the views' common area); each side padded to K on its own
    # ('shared': both sides padded alike)
    box_clip='view',
    padding='independent')
train_pipeline = [
    dict(type='LoadImageRGB'),
    soco_views,
    {{_base_.byol_colour}},
    # view 2 only; mean-colour fill, centre uniform in the box (as the
    # FPN recipe's cutout)
    dict(
        type='InBoxCutout',
        prob=0.5,
        area=(0.1, 0.3),
        value='mean',
        placement='centre',
        views=(1, )),
    dict(type='PackSoCoInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
