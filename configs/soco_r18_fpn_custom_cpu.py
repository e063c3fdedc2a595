# SoCo on your own images on a CPU (docs/own_images.md): the template
# configs/soco_r18_fpn_custom.py sized for a machine without a GPU: batch 8,
# one dataloader worker, views 128 / 128 / 64, 500 iterations (a checkpoint
# every 50), a log line every 5. Time per iteration: docs/own_images.md.
#   python tools/generate_proposals.py data/my_images data/my_images_proposals
#   python tools/train.py configs/soco_r18_fpn_custom_cpu.py
# LR = 1.0 x batch / 256 (0.031 at batch 8, auto_scale_lr); the template's
# schedule (warm-up over a tenth of the run, cosine to 1e-6) is stretched
# to max_iters (schedule_follows_length).
_base_ = ['./soco_r18_fpn_custom.py']

batch_size = 8
num_workers = 1  # on 2 cores: one process decodes and augments, one trains
max_iters = 500
view_size = 128  # views 1 and 2; view 3 is half of it

# the template's pipeline with smaller views
train_pipeline = _base_.train_pipeline
train_pipeline[1]['views'] = [
    dict(view, size=size) for view, size in zip(
        train_pipeline[1]['views'], (view_size, view_size, view_size // 2))
]
train_dataloader = dict(
    batch_size=batch_size,
    num_workers=num_workers,
    dataset=dict(pipeline=train_pipeline))

train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
default_hooks = dict(
    logger=dict(interval=5),
    checkpoint=dict(by_epoch=False, interval=max_iters // 10))
