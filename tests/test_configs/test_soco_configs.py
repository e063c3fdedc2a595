"""The five top-level SoCo configs carry the recipe of docs/algorithms.md
(SoCo recipe) and the views of its SoCo views section: LARS settings,
LR 1.0 x batch / 256 (8.0 at
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
from mmengine.registry import (PARAM_SCHEDULERS, DefaultScope,
                               init_default_scope)
from mmengine.runner import Runner
from torch import nn

from mmsoco.registry import MODELS, TRANSFORMS

from ..helpers import REPO
from mmsoco.testing import random_soco_batch

# name: (view sizes, in-box cutout views (0-based) or None, epochs)
IMAGENET = {
    'soco_r50_fpn.py': ((224, 224, 112), (1, 2), 100),
    'soco_r50_fpn_16xb128-400e_in1k.py': ((224, 224, 112), None, 400),
    'soco-star_r50_fpn_16xb128-400e_in1k.py': ((224, 224, 192, 112), None,
                                               400),
    'soco_r50_c4_16xb128-100e_in1k.py': ((224, 224), (1, ), 100),
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
    # the reference's LARS update (tests/test_engine/test_soco_lars.py)
    assert dict(opt.optimizer) == dict(type='SoCoLARS', lr=1.0,
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
    assert [h.type for h in cfg.custom_hooks] == ['MomentumTargetHook',
                                                  'SoCoDataHook',
                                                  'ExportMapHook']
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
    # the reference's boxes: whole proposals in view 1, each side padded on
    # its own; view-1 box jitter except in the C4 recipe (the reference's C4
    # dataset has none)
    assert (views.kw['box_clip'], views.kw['padding']) == ('view',
                                                           'independent')
    assert views.kw['jitter_prob'] == (0. if 'c4' in name else 0.5)
    assert views.kw['jitter_mag'] == 0.1
    assert 'ViewColorAug' in pipeline
    if cutout is None:
        assert 'InBoxCutout' not in pipeline
    else:
        t = TRANSFORMS.build(pipeline['InBoxCutout'])
        assert (t.prob, t.area, t.views) == (0.5, (0.1, 0.3), cutout)
        # the reference's fill (mean colour) and placement (centre in box)
        assert (t.value, t.placement) == ('mean', 'centre')
    if 'fpn' in name:  # the reference's init of FPN, head convs and FC
        assert dict(cfg.model.neck.init_cfg) == dict(
            type='Kaiming', layer='Conv2d', mode='fan_out',
            nonlinearity='relu', distribution='normal')
        assert dict(cfg.model.bbox_head.init_cfg) == dict(
            type='PyTorchDefault', layer=['Conv2d', 'Linear'])


def fake_runner(cfg: Config, world_size: int):
    """What mmengine's Runner.scale_lr reads."""
    return SimpleNamespace(world_size=world_size,
                           _train_dataloader=cfg.train_dataloader,
                           train_dataloader=cfg.train_dataloader,
                           param_schedulers=None,
                           logger=MMLogger.get_current_instance())


@pytest.mark.filterwarnings('ignore:Detected call of `scheduler.step')
@pytest.mark.parametrize('name', ['soco_r50_fpn.py',
                                  'soco_r50_fpn_16xb128-400e_in1k.py'])
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
    cfg = load('soco_r18_fpn_1xb4-12iter_demo.py')
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
    """soco_r50_c4_16xb128-100e_in1k.py's own model: R50 stages 1-3 + res5
    shared head, SyncBN everywhere, one view pair, loss and gradients."""
    cfg = load('soco_r50_c4_16xb128-100e_in1k.py')
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


def weight_stds(module, prefix):
    """name -> (weight std, fan_in, fan_out, bias) of every conv / linear."""
    out = {}
    for name, m in module.named_modules():
        if isinstance(m, (nn.Conv2d, nn.Linear)):
            fan_in = m.weight[0].numel()
            fan_out = m.weight.shape[0] * m.weight[0, 0].numel()
            out[f'{prefix}.{name}'] = (m.weight.std().item(), fan_in, fan_out,
                                       m.bias)
    return out


def init_stds(neck_cfg, head_cfg):
    torch.manual_seed(0)
    neck, head = MODELS.build(neck_cfg), MODELS.build(head_cfg)
    for m in (neck, head):
        m.init_weights()
    return {**weight_stds(neck, 'neck'), **weight_stds(head, 'head')}


@pytest.mark.usefixtures('one_thread', 'quiet_init')
def test_fpn_and_head_init_is_the_references():
    """The reference's FPN convs keep the msra init mmcv 1.x's ConvModule
    gives them when built (std sqrt(2 / fan_out): 0.088 for a 1x1 lateral,
    0.029 for a 3x3 output conv; its Xavier init_weights is never called);
    its head convs and FC keep PyTorch's default layer init (std
    1 / sqrt(3 fan_in): ~0.012 for a head conv, ~0.0052 for the 12544 ->
    1024 FC, whose bias is U(+-1 / sqrt(fan_in))). mmdet's init (Xavier
    neck, Kaiming / Xavier head) is the named alternative."""
    cfg = load('soco_r50_fpn.py')
    init_default_scope('mmsoco')
    stds = init_stds(cfg.model.neck, cfg.model.bbox_head)
    assert len(stds) == 4 + 4 + 4 + 1  # lateral, fpn, head convs, FC
    for name, (std, fan_in, fan_out, bias) in stds.items():
        expected = (math.sqrt(2 / fan_out) if name.startswith('neck') else
                    1 / math.sqrt(3 * fan_in))
        assert std == pytest.approx(expected, rel=0.03), name
    assert stds['neck.lateral_convs.0.conv'][0] == pytest.approx(0.088,
                                                                 rel=0.03)
    assert stds['neck.fpn_convs.0.conv'][0] == pytest.approx(0.0295,
                                                             rel=0.03)
    assert stds['head.shared_convs.0.conv'][0] == pytest.approx(0.012,
                                                                abs=4e-4)
    std, fan_in, _, bias = stds['head.shared_fcs.0']
    assert fan_in == 12544 and std == pytest.approx(0.0052, abs=1e-4)
    bound = 1 / math.sqrt(fan_in)  # bias ~ U(-bound, bound), not 0
    assert bias.abs().max() <= bound and bias.std() > 0.8 * bound / 2
    # mmdet's init gives other numbers (Xavier FPN 0.063 / 0.021, head
    # Kaiming 0.029, FC Xavier 0.012 with bias 0)
    old = init_stds(
        dict(cfg.model.neck, init_cfg=dict(type='Xavier', layer='Conv2d',
                                           distribution='uniform')),
        dict(cfg.model.bbox_head, init_cfg=None))
    assert old['neck.lateral_convs.0.conv'][0] == pytest.approx(0.0625,
                                                                rel=0.03)
    assert old['neck.fpn_convs.0.conv'][0] == pytest.approx(0.0208,
                                                            rel=0.03)
    assert old['head.shared_convs.0.conv'][0] == pytest.approx(0.0295,
                                                               rel=0.03)
    assert old['head.shared_fcs.0'][0] == pytest.approx(0.0121, rel=0.03)
    assert (old['head.shared_fcs.0'][3] == 0).all()


def mini_world_detector() -> Config:
    """The Faster R-CNN the mini-world exports are fine-tuned in."""
    return Config.fromfile(osp.join(
        REPO, 'configs', 'transfer', 'faster-rcnn_r18_fpn_mini-world.py'))


@pytest.mark.usefixtures('one_thread', 'quiet_init')
@pytest.mark.parametrize('name', ['soco_r18_fpn_mini-world.py',
                                  'insloc_r18_fpn_mini-world.py'])
def test_mini_world_fpn_and_head_start_as_the_detectors(name):
    """The mini-world networks' FPN and box head start from the init the
    Faster R-CNN they are fine-tuned in gives them (mmdet's), layer by
    layer: SoCo's reference init fine-tunes far worse on that world."""
    cfg, det = load(name), mini_world_detector()
    init_default_scope('mmsoco')
    ours = init_stds(cfg.model.neck, cfg.model.bbox_head)
    with DefaultScope.overwrite_default_scope('mmdet'):
        detector = init_stds(det.model.neck, det.model.roi_head.bbox_head)
    ours = {k: v for k, v in ours.items() if k in detector}
    assert len(ours) == 4 + 4 + 4 + 1  # lateral, fpn, head convs, FC
    for layer, (std, fan_in, fan_out, bias) in ours.items():
        assert (fan_in, fan_out) == detector[layer][1:3], layer
        assert std == pytest.approx(detector[layer][0], rel=0.05), layer
        assert bias is None or (bias == 0).all(), layer


def residual_bn_scales(backbone_cfg) -> list:
    torch.manual_seed(0)
    backbone = MODELS.build(backbone_cfg)
    backbone.init_weights()
    return [block.norm2.weight.detach().abs().max().item()
            for layer in (backbone.layer1, backbone.layer4)
            for block in layer]


@pytest.mark.usefixtures('one_thread', 'quiet_init')
@pytest.mark.parametrize('name', ['soco_r18_fpn_mini-world.py',
                                  'insloc_r18_fpn_mini-world.py'])
def test_mini_world_backbones_start_as_the_detectors(name):
    """Both mini-world networks start the last BN of every residual branch
    at 0, as the Faster R-CNN they are fine-tuned in does (mmdet's ResNet
    default); InsLoc's recipe starts them at 1, which probes and fine-tunes
    worse on that world before any pretraining."""
    det = mini_world_detector()
    init_default_scope('mmsoco')
    ours = residual_bn_scales(load(name).model.backbone)
    with DefaultScope.overwrite_default_scope('mmdet'):
        detector = residual_bn_scales(det.model.backbone)
    assert len(ours) == 4 and ours == detector == [0.0] * 4
    recipe = residual_bn_scales(
        load('insloc_r18_fpn_1xb4-8iter_demo.py').model.backbone)
    assert recipe == [1.0] * 4
