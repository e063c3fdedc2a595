# InsLoc composites (docs/algorithms.md, InsLoc composites) from an
# unlabelled image folder:
# per image two copy-paste composites (query, key) on 256x256 backgrounds
# from other random images, MoCo-v2 colour, flips carrying the box.
data_root = 'data/imagenet/train'
train_pipeline = [
    dict(type='LoadImageRGB'),
    dict(
        type='InsLocCopyPaste',
        num_views=2,
        canvas=256,
        fore_range=(128, 255),
        scale=(0.2, 1.0),
        ratio=(0.5, 2.0)),
    # MoCo v2's colour: jitter (0.4, 0.4, 0.4, 0.1) p=0.8, grey p=0.2,
    # blur sigma [0.1, 2] p=0.5, no solarize (the transform SoCo runs with
    # BYOL's numbers)
    dict(
        type='ViewColorAug',
        jitter=(0.4, 0.4, 0.4, 0.1),
        jitter_prob=0.8,
        gray_prob=0.2,
        blur_prob=0.5,
        solarize_prob=0.0,
        blur_sigma=(0.1, 2.0)),
    dict(type='ViewBoxRandomFlip', prob=0.5),
    dict(type='PackInsLocInputs'),
]
train_dataloader = dict(
    batch_size=32,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    # indices carry (seed, epoch): every draw of a sample is a function of
    # (seed, epoch, index), so --resume replays it whatever the workers
    sampler=dict(type='SeededDefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type='InsLocDataset',
        data_root=data_root,
        ann_file='',
        pipeline=train_pipeline))

# what tools/browse_views.py draws with (also the Runner's visualizer)
visualizer = dict(type='InsLocVisualizer',
                  vis_backends=[dict(type='LocalVisBackend')])
