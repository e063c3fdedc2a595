# SoCo on the mini detection world (docs/mini_world.md): the CPU template
# for your own images (configs/soco_r18_fpn_custom_cpu.py: ResNet-18 FPN of
# the R18 family, views 128 / 128 / 64, the recipe's augmentations, LARS at
# LR 1.0 per 256 images, warm-up over the first tenth, cosine to 1e-6) on
# the world's unlabeled/ folder of 128 px images, at batch 16 (LR 0.0625)
# for 300 iterations, 4 checkpoints, each box pooled on its own level.
#   python tools/make_mini_world.py data/mini_world
#   python tools/generate_proposals.py data/mini_world/unlabeled \
#       data/mini_world/proposals --filter small_objects --scale 100 \
#       --min-size 20   # SoCo's defaults find 19 % of the world's objects
#   python tools/train.py configs/soco_r18_fpn_mini-world.py
# benchmarks/mini_world.py runs it with --cfg-options for its paths and
# lengths; the template's schedule is stretched to max_iters
# (schedule_follows_length).
_base_ = ['./soco_r18_fpn_custom_cpu.py']

data_root = 'data/mini_world/unlabeled'
proposals = 'data/mini_world/proposals'
batch_size = 16
max_iters = 300  # 2.4 passes over 2,000 images, 17-19 CPU-minutes
# what the template's schedule becomes at this length (stretched at run
# time, schedule_follows_length), and a checkpoint at each quarter
warmup_iters = max(1, max_iters // 10)
checkpoint_every = max_iters // 4

# each box pooled on its own level only: ~4x less RoI-head work on CPU;
# the FPN and the box head start from mmdet's initialisation (Xavier FPN,
# Kaiming head convs, Xavier FC), the one the detector they are fine-tuned
# in would give them: the reference's (fan-out FPN, PyTorch's default
# head) fine-tunes far worse on this world, pretrained or not
# (docs/mini_world.md: the FPN and head initialisation section)
model = dict(
    pool_mode='assigned_level',
    neck=dict(init_cfg=dict(_delete_=True, type='Xavier', layer='Conv2d',
                            distribution='uniform')),
    bbox_head=dict(init_cfg=None))
train_dataloader = dict(
    batch_size=batch_size,
    pin_memory=False,
    dataset=dict(data_root=data_root, proposals=proposals))
train_cfg = dict(max_iters=max_iters)
default_hooks = dict(
    logger=dict(interval=20),
    checkpoint=dict(interval=checkpoint_every, max_keep_ckpts=4))
env_cfg = dict(cudnn_benchmark=False)
