# SoCo views 224 / 224 / 112 without in-box cutout (the 400-epoch recipe).
_base_ = ['./soco_imagenet.py']

train_pipeline = [
    dict(type='LoadImageRGB'),
    _base_.soco_views,
    _base_.byol_color,
    dict(type='PackSoCoInputs'),
]
train_dataloader = dict(dataset=dict(pipeline=train_pipeline))
