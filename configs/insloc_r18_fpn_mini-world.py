# InsLoc on the mini detection world (docs/mini_world.md): the InsLoc demo's
# model (configs/insloc_r18_fpn_1xb4-8iter_demo.py: ResNet-18 FPN of the
# R18 family, the recipe's SGD at LR 0.03 per 256 images, cosine to 0) on
# the world's unlabeled/ folder, copy-paste composites on a 128 px canvas
# (the world's image side), batch 16 (LR 0.001875), a 256-key queue,
# 300 iterations with 4 checkpoints.
#   python tools/make_mini_world.py data/mini_world
#   python tools/train.py configs/insloc_r18_fpn_mini-world.py
_base_ = ['./insloc_r18_fpn_1xb4-8iter_demo.py']

data_root = 'data/mini_world/unlabeled'
image_size = 128  # the world's image side (world.json image_size)
batch_size = 16
num_workers = 1
max_iters = 300

# the backbone starts as the detector's (mmdet's ResNet: the last BN of
# each residual branch at 0), like the SoCo mini-world config's; the
# recipe's (those BNs at 1) fine-tunes 2.5 AP50-area points lower untrained
# (docs/mini_world.md, InsLoc)
# 256 keys fill in 16 of the 300 iterations; a longer queue keeps some of
# its random initial vectors as negatives for longer (4,096: the first 256
# iterations), and those lack the direction all real keys share, so the
# loss can fall without the network learning to tell objects apart
# (QueueLengthCheckHook warns past 10 % of the run)
model = dict(queue_len=256, backbone=dict(zero_init_residual=True))
train_pipeline = _base_.train_pipeline
train_pipeline[1]['canvas'] = image_size
train_pipeline[1]['fore_range'] = (image_size // 2, image_size - 1)
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=num_workers,
    persistent_workers=num_workers > 0,
    dataset=dict(data_root=data_root, build_demo=False,
                 pipeline=train_pipeline))
train_cfg = dict(max_iters=max_iters)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=max_iters // 4, max_keep_ckpts=4))
