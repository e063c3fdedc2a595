# SoCo views on ImageNet-1k train (docs/algorithms.md, SoCo views):
# view 1 = the whole image at 224, view 2 = RandomResizedCrop 224 scale
# (0.5, 1), view 3 = 112;
# K = 4 common proposals per pair (1,2), (1,3); view-1 box jitter; BYOL
# asymmetric colour; in-box cutout (the 100-epoch FPN recipe).
# Proposals: python tools/generate_proposals.py data/imagenet/train \
#     data/imagenet/soco_proposals_train --workers 32
dataset_type = 'SoCoDataset'
data_root = 'data/imagenet/train'
proposals = 'data/imagenet/soco_proposals_train'

# view 3: 'independent' = RandomResizedCrop at 112 (the reference code),
# 'downsample' = view 2 downsampled to 112 (the paper's figure)
view3_mode = 'independent'
soco_views = dict(
    type='SoCoMultiView',
    views=[
        dict(size=224, mode='whole'),
        dict(size=224, mode='crop', scale=(0.5, 1.), ratio=(3 / 4, 4 / 3)),
        dict(size=112, mode='crop', scale=(0.5, 1.), ratio=(3 / 4, 4 / 3)),
    ],
    view3_mode=view3_mode,
    num_boxes=4,
    max_tries=5,
    flip_prob=0.5,
    jitter_prob=0.5,
    jitter_mag=0.1,
    interpolation='area',
    # the reference's boxes (docs/algorithms.md, SoCo views): a view-1 box is the whole
    # proposal, its partner the part inside the crop ('overlap': both clipped
    # to the views' common area); each side padded to K on its own
    # ('shared': both sides padded alike)
    box_clip='view',
    padding='independent',
    # view-1 jitter on the proposal in original pixels, before the flip
    # ('view': in view 1's pixels after it), once per proposal before
    # padding, so padded rows are copies ('redraw': each row on its own)
    jitter_space='original',
    padded_jitter='copy',
    # a downsampled view (SoCo*'s view 4) repeats its source's pair and
    # flips on its own coin ('independent' pair / 'source' flip: the others)
    downsample_pair='source',
    downsample_flip='independent')
byol_color = dict(
    type='ViewColorAug',
    jitter=(0.4, 0.4, 0.2, 0.1),
    jitter_prob=0.8,
    gray_prob=0.2,
    blur_prob=(1.0, 0.1),  # view 1, then every other view
    solarize_prob=(0.0, 0.2),
    blur_sigma=(0.1, 2.0))
cutout = dict(
    type='InBoxCutout',
    prob=0.5,
    area=(0.1, 0.3),
    value='mean',
    placement='centre',
    views=(1, 2),
    rows='all')
train_pipeline = [
    dict(type='LoadImageRGB'),
    soco_views,
    byol_color,
    # views 2 and 3 (0-based 1, 2), not view 1: as the reference; the square
    # takes the mean colour (zero after normalisation; value=0: black) and
    # its centre is uniform in the box (placement='inside': inside the box);
    # one draw per row of the K, padded duplicates too ('distinct': once)
    cutout,
    dict(type='PackSoCoInputs'),
]

train_dataloader = dict(
    batch_size=128,
    num_workers=8,
    persistent_workers=True,
    pin_memory=True,
    drop_last=True,
    # DefaultSampler whose indices carry (seed, epoch): each sample's views
    # are a function of (seed, epoch, index), so --resume replays them
    sampler=dict(type='SeededDefaultSampler', shuffle=True),
    collate_fn=dict(type='pseudo_collate'),
    dataset=dict(
        type=dataset_type,
        data_root=data_root,
        proposals=proposals,
        ann_file='',
        pipeline=train_pipeline))

# what tools/browse_views.py draws with (also the Runner's visualizer)
visualizer = dict(type='SoCoVisualizer',
                  vis_backends=[dict(type='LocalVisBackend')])
