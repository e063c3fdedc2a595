# A few InsLoc iterations on the CPU on the embedded demo set (real photos
# bundled with scikit-image, built under `data_root` on first use; the same
# images as SoCo's demo), with a small ResNet-18 FPN and short queues;
# saves a checkpoint at the end. It shows the machinery, not learning: the
# queue still holds random keys after 8 iterations, and the run says so in
# one warning.
#   python tools/train.py configs/insloc_r18_fpn_1xb4-8iter_demo.py
_base_ = ['./insloc_r50_fpn_8xb32-200e_in1k.py']

data_root = 'data/soco_demo'

model = dict(
    backbone=dict(depth=18),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=128),
    bbox_head=dict(in_channels=128, conv_out_channels=128,
                   fc_out_channels=512),
    projector=dict(in_channels=512, hid_channels=512),
    queue_len=256)

max_iters = 8
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=False,
    pin_memory=False,
    # 12 images, batch 4: iterate over epochs without restart warnings
    sampler=dict(type='SeededInfiniteSampler', shuffle=True),
    # build_demo: make the demo images under data_root on first use
    dataset=dict(data_root=data_root, build_demo=True))
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters)
# the recipe's LR rule: 0.03 x global batch / 256 (mmengine's auto_scale_lr
# on the real batch: 4.7e-4 at 4 images)
auto_scale_lr = dict(enable=True, base_batch_size=256)
param_scheduler = [
    dict(type='CosineAnnealingLR', T_max=max_iters, eta_min=0.,
         by_epoch=False, begin=0, end=max_iters)
]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
env_cfg = dict(cudnn_benchmark=False)
