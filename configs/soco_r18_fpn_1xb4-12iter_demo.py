# The main job: a few SoCo iterations on the CPU on the embedded demo set
# (12 real photos from scikit-image with their selective-search proposals,
# built under `data_root` on first use), with a small ResNet-18 FPN model.
#   python tools/train.py configs/soco_r18_fpn_1xb4-12iter_demo.py
# Everything else (views, loss, EMA target, LARS) is the R50-FPN recipe.
_base_ = ['./soco_r50_fpn.py']

data_root = 'data/soco_demo'

norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    backbone=dict(depth=18, norm_cfg=norm_cfg),
    neck=dict(in_channels=[64, 128, 256, 512], out_channels=128,
              norm_cfg=norm_cfg),
    bbox_head=dict(in_channels=128, conv_out_channels=128,
                   fc_out_channels=512, norm_cfg=norm_cfg),
    projector=dict(in_channels=512, hid_channels=1024, out_channels=128,
                   norm_cfg=dict(type='BN1d')),
    predictor=dict(in_channels=128, hid_channels=1024, out_channels=128,
                   norm_cfg=dict(type='BN1d')),
    # each box pooled on its own level only: ~4x less RoI-head work on CPU
    pool_mode='assigned_level')

max_iters = 12
train_dataloader = dict(
    batch_size=4,
    num_workers=2,
    persistent_workers=False,
    pin_memory=False,
    # 12 images, batch 4: iterate over epochs without restart warnings; an
    # InfiniteSampler whose indices carry their pass number, so each
    # sample's views are a function of (seed, pass, index): exact --resume
    sampler=dict(type='SeededInfiniteSampler', shuffle=True),
    # build_demo: make the demo set (images + proposals) under data_root on
    # first use; images and proposals are then read from inside it
    dataset=dict(data_root=data_root, build_demo=True))
train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', max_iters=max_iters)
# The recipe's LR rule: 1.0 x global batch / 256 (0.0156 at 4 images),
# applied by mmengine's auto_scale_lr to the real batch (GPUs x batch per
# GPU, also after --cfg-options train_dataloader.batch_size=N). The
# unscaled 1.0 under LARS at batch 8 collapsed the features (mean
# cosine between boxes 0.96 after 180 iterations); 2 warm-up
# iterations from LR / 100, cosine to 1e-6.
auto_scale_lr = dict(enable=True, base_batch_size=256)
param_scheduler = [
    dict(type='LinearLR', start_factor=0.01, by_epoch=False, begin=0, end=2),
    dict(type='CosineAnnealingLR', T_max=max_iters - 2, eta_min=1e-6,
         by_epoch=False, begin=2, end=max_iters),
]
default_hooks = dict(
    logger=dict(interval=1),
    checkpoint=dict(by_epoch=False, interval=max_iters, max_keep_ckpts=1))
log_processor = dict(by_epoch=False)
env_cfg = dict(cudnn_benchmark=False)
