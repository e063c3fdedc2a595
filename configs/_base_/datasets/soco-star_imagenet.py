# SoCo* views (400 epochs): 224 (whole image) / 224 (crop) / 192 (independent
# crop) / 112 (view 2 downsampled); pairs (1,2), (1,3), (1,4); no cutout.
_base_ = ['./soco_imagenet.py']

soco_views = dict(
    type='SoCoMultiView',
    views=[
        dict(size=224, mode='whole'),
        dict(size=224, mode='crop', scale=(0.5, 1.), ratio=(3 / 4, 4 / 3)),
        dict(size=192, mode='crop', scale=(0.5, 1.), ratio=(3 / 4, 4 / 3)),
        dict(size=112, mode='downsample', of=1),
    ],
    view3_mode=None,
    num_boxes=4,
    max_tries=5,
    flip_prob=0.5,
    jitter_prob=0.5,
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
    dict(type='PackSoCoInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
