"""The five top-level SoCo configs carry the recipe of ALGORITHMS.md §1.4
and the views of §1.2: LARS settings, LR 1.0 x batch / 256 (8.0 at
16 GPUs x 128, through mmengine's own auto_scale_lr code), warm-up from
LR / 100 over 10 epochs then per-iteration cosine to 1e-6, SyncBN, batch
128, in-box cutout where the reference has it, view sizes per variant."""
import math
import os.path as osp
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.logging import MMLogger
from mmengine.optim import build_optim_wrapper
from mmengine.registry import PARAM_SCHEDULERS, init_default_scope
from mmengine.runner import Runner
from torch import nn

from mmsoco.registry import MODELS, TRANSFORMS

from .conftest import REPO
from .soco_tiny import random_soco_batch

# name: (view sizes, in-box cutout views (0-based) or None, epochs)
IMAGENET = {
    'soco_r50_fpn.py': ((224, 224, 112), (1, 2), 100),
    'soco_r50_fpn_400ep.py': ((224, 224, 112), None, 400),
    'soco-star_r50_fpn_400ep.py': ((224, 224, 192, 112), None, 400),
    'soco_r50_c4_100ep.py': ((224, 224), (1, ), 100),
}


def load(name: str) -> Config:
    return Config.fromfile(osp.join(REPO, 'configs', name))


def transforms(cfg: Config) -> dict:
    init_default_scope('mmsoco')
    return {t.type: t for t in cfg.train_dataloader.dataset.pipeline}


def norm_cfgs(node, path='model'):
    """Every norm_cfg in a model config, with where it sits."""
    if isinstance(node, dict):
        for key, value in node.items():
            if key == 'norm_cfg':
                yield path, value
            else:
                yield from norm_cfgs(value, f'{path}.{key}')
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from norm_cfgs(value, f'{path}.{i}')


@pytest.mark.parametrize('name', list(IMAGENET))
def test_imagenet_recipe(name):
    sizes, cutout, epochs = IMAGENET[name]
    cfg = load(name)
    opt = cfg.optim_wrapper
    assert opt.type == 'OptimWrapper'
    assert opt.constructor == 'LARSOptimWrapperConstructor'
    assert dict(opt.optimizer) == dict(type='mmselfsup.LARS', lr=1.0,
                                       momentum=0.9, weight_decay=1e-5,
                                       eta=0.001, eps=1e-8)
    assert dict(cfg.auto_scale_lr) == dict(enable=True, base_batch_size=256)
    assert cfg.use_amp is False  # the AMP switch exists, off by default
    assert cfg.train_dataloader.batch_size == 128
    assert cfg.train_dataloader.sampler.type == 'SeededDefaultSampler'
    assert dict(cfg.train_cfg) == dict(type='EpochBasedTrainLoop',
                                       max_epochs=epochs)
    warm, cosine = cfg.param_scheduler
    assert (warm.type, warm.start_factor, warm.begin, warm.end) == (
        'LinearLR', 0.01, 0, 10)
    assert (cosine.type, cosine.eta_min, cosine.begin, cosine.end,
            cosine.T_max) == ('CosineAnnealingLR', 1e-6, 10, epochs,
                              epochs - 10)
    assert warm.convert_to_iter_based and cosine.convert_to_iter_based
    # SyncBN everywhere: backbone, neck / shared head, box head, MLPs
    norms = dict(norm_cfgs(cfg.model))
    assert len(norms) >= 4
    assert all(n.type == 'SyncBN' for n in norms.values()), norms
    assert cfg.model.backbone.zero_init_residual
    assert cfg.model.base_momentum == 0.99
    assert [h.type for h in cfg.custom_hooks] == ['SoCoTargetHook',
                                                  'SoCoDataHook']
    # views: build the registered transform to see view3_mode applied
    pipeline = transforms(cfg)
    views = TRANSFORMS.build(pipeline['SoCoMultiView'])
    assert [v['size'] for v in views.views] == list(sizes)
    assert views.views[0]['mode'] == 'whole'
    assert views.views[1]['mode'] == 'crop'
    assert views.views[1]['scale'] == ((0.6, 1.) if 'c4' in name else
                                       (0.5, 1.))
    if len(sizes) == 4:  # SoCo*: 192 independent crop, 112 = view 2 small
        assert views.views[2]['mode'] == 'crop'
        assert views.views[3] == dict(size=112, mode='downsample', of=1)
    elif len(sizes) == 3:  # the reference code's independent view 3
        assert views.views[2]['mode'] == 'crop'
    assert views.kw['num_boxes'] == 4 and views.kw['max_tries'] == 5
    assert 'BYOLColorAug' in pipeline
    if cutout is None:
        assert 'InBoxCutout' not in pipeline
    else:
        t = TRANSFORMS.build(pipeline['InBoxCutout'])
        assert (t.prob, t.area, t.views) == (0.5, (0.1, 0.3), cutout)


def fake_runner(cfg: Config, world_size: int):
    """What mmengine's Runner.scale_lr reads."""
    return SimpleNamespace(world_size=world_size,
                           _train_dataloader=cfg.train_dataloader,
                           train_dataloader=cfg.train_dataloader,
                           param_schedulers=None,
                           logger=MMLogger.get_current_instance())


@pytest.mark.filterwarnings('ignore:Detected call of `scheduler.step')
@pytest.mark.parametrize('name', ['soco_r50_fpn.py', 'soco_r50_fpn_400ep.py'])
def test_lr_schedule_at_16_gpus_x_128(name):
    """mmengine's scaling (world size x batch / base_batch_size) and the
    config's schedulers, stepped per iteration as the Runner does, with 4
    iterations per epoch."""
    cfg = load(name)
    epochs = cfg.train_cfg.max_epochs
    init_default_scope('mmsoco')
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    Runner.scale_lr(fake_runner(cfg, 16), wrapper, cfg.auto_scale_lr)
    groups = wrapper.optimizer.param_groups
    assert [g['lr'] for g in groups] == [8.0, 8.0]  # 1.0 x 16 x 128 / 256
    assert sorted(g['weight_decay'] for g in groups) == [0., 1e-5]
    per_epoch = 4
    schedulers = [
        PARAM_SCHEDULERS.build(s, default_args=dict(optimizer=wrapper,
                                                    epoch_length=per_epoch))
        for s in cfg.param_scheduler
    ]
    lrs = []
    for _ in range(epochs * per_epoch):
        lrs.append(wrapper.optimizer.param_groups[0]['lr'])
        for s in schedulers:
            s.step()
    warm = 10 * per_epoch
    # linear from LR / 100 at iteration 0 to LR at the warm-up's last one
    for i in range(warm):
        assert lrs[i] == pytest.approx(8.0 * (0.01 + 0.99 * i / (warm - 1)))
    # then per iteration: 1e-6 + (LR - 1e-6) (1 + cos(pi t / T)) / 2, which
    # reaches 1e-6 at t = T, the end of the last epoch
    total = (epochs - 10) * per_epoch
    for t, lr in enumerate(lrs[warm:]):
        assert lr == pytest.approx(
            1e-6 + (8.0 - 1e-6) * (1 + math.cos(math.pi * t / total)) / 2,
            rel=1e-9, abs=1e-12)
    assert len(set(lrs[warm:])) == total  # a new LR every iteration


def test_demo_config():
    cfg = load('soco_r50_fpn_demo.py')
    assert cfg.use_amp is False
    assert cfg.train_dataloader.batch_size == 4
    assert cfg.train_dataloader.sampler.type == 'SeededInfiniteSampler'
    assert cfg.train_dataloader.dataset.build_demo
    # LR 1.0 per 256 images, scaled to the real batch (tests/test_demo_lr.py)
    assert dict(cfg.auto_scale_lr) == dict(enable=True, base_batch_size=256)
    assert cfg.optim_wrapper.optimizer.lr == 1.0
    assert cfg.train_cfg == dict(type='IterBasedTrainLoop', max_iters=12)
    assert {n.type for n in dict(norm_cfgs(cfg.model)).values()} == {
        'BN', 'BN1d'}
    assert cfg.model.backbone.depth == 18
    assert cfg.model.pool_mode == 'assigned_level'
    pipeline = transforms(cfg)
    views = TRANSFORMS.build(pipeline['SoCoMultiView'])
    assert [v['size'] for v in views.views] == [224, 224, 112]
    assert TRANSFORMS.build(pipeline['InBoxCutout']).views == (1, 2)


@pytest.mark.usefixtures('one_thread')
def test_c4_model_from_its_config_file():
    """soco_r50_c4_100ep.py's own model: R50 stages 1-3 + res5 shared head,
    SyncBN everywhere, one view pair, loss and gradients."""
    cfg = load('soco_r50_c4_100ep.py')
    init_default_scope('mmsoco')
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    bns = [m for m in model.modules()
           if isinstance(m, nn.modules.batchnorm._BatchNorm)]
    assert bns and all(isinstance(m, nn.SyncBatchNorm) for m in bns)
    assert model.shared_head.layer4[0].conv1.in_channels == 1024
    assert model.projector.linear1.in_features == 2048
    data = model.data_preprocessor(
        random_soco_batch(batch=2, sizes=(64, 64), k=2), True)
    losses = model(**data, mode='loss')
    assert set(losses) == {'loss_12'}
    assert math.isfinite(losses['loss_12'].item())
    losses['loss_12'].backward()
    assert model.backbone.conv1.weight.grad is not None
