# SoCo* views (400 epochs): 224 (whole image) / 224 (crop) / 192 (independent
# crop) / 112 (view 2 downsampled); pairs (1,2), (1,3), (1,4); no cutout;
# soco_imagenet.py otherwise.
_base_ = ['./soco_imagenet.py']

# merged into soco_imagenet.py's soco_views: only what differs
soco_views = dict(
    views=[
        dict(size=224, mode='whole'),
        dict(size=224, mode='crop', scale=(0.5, 1.), ratio=(3 / 4, 4 / 3)),
        dict(size=192, mode='crop', scale=(0.5, 1.), ratio=(3 / 4, 4 / 3)),
        dict(size=112, mode='downsample', of=1),
    ],
    view3_mode=None)
train_pipeline = [
    dict(type='LoadImageRGB'),
    dict(_base_.soco_views, **soco_views),
    _base_.byol_color,
    dict(type='PackSoCoInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
