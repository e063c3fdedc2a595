"""The SoCo model end to end on random tensors with boxes (tiny backbone),
its export-relevant key names, and the reference's parameter count."""
import copy
import math
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import DefaultScope, init_default_scope

from mmsoco.registry import MODELS, OPTIM_WRAPPER_CONSTRUCTORS

from ..helpers import REPO
from ..helpers import build_model as build
from mmsoco.testing import random_soco_batch
from ..soco_tiny import tiny_soco_cfg

pytestmark = pytest.mark.usefixtures('one_thread', 'quiet_init')

init_default_scope('mmsoco')




def run_loss(model, batch):
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    return model(**data, mode='loss')


@pytest.mark.parametrize('pool_mode', ['all_levels', 'assigned_level'])
def test_forward_backward_three_views(pool_mode):
    model = build(tiny_soco_cfg(pool_mode=pool_mode))
    model.update_target(0, 10)
    # 224-pixel views so that boxes fall on every FPN level
    batch = random_soco_batch(batch=2, sizes=(224, 224, 112), k=8)
    losses = run_loss(model, batch)
    assert set(losses) == {'loss_12', 'loss_13'}
    total = sum(losses.values())
    assert torch.isfinite(total) and -8. <= total.item() <= 8.
    total.backward()
    assert all(not p.requires_grad for p in model.target.parameters())
    assert all(p.grad is None for p in model.target.parameters())
    no_grad = [n for n, p in model.named_parameters() if p.requires_grad
               and (p.grad is None or not p.grad.abs().sum() > 0)]
    # zero_init_residual: the last BN of each block starts at gamma = 0, so
    # the layers before it inside the block get no gradient at step 0
    assert all(n.startswith('backbone.layer') and
               n.split('.')[3] in ('conv1', 'bn1', 'conv2')
               for n in no_grad), no_grad
    for name in ('backbone', 'neck', 'bbox_head', 'projector', 'predictor'):
        assert any(p.grad is not None and p.grad.abs().sum() > 0
                   for p in getattr(model, name).parameters()), name


def test_four_views_soco_star():
    model = build(tiny_soco_cfg())
    losses = run_loss(model,
                      random_soco_batch(batch=2, sizes=(64, 64, 48, 32)))
    assert set(losses) == {'loss_12', 'loss_13', 'loss_14'}
    sum(losses.values()).backward()


def test_pool_modes_agree_in_eval_mode():
    """With BN on running statistics the two pooling modes compute the same
    function: the reference's all-level pooling picks each box's level."""
    model = build(tiny_soco_cfg(pool_mode='all_levels'))
    batch = random_soco_batch(batch=2, sizes=(64, 64, 32), seed=3)
    model.eval()
    with torch.no_grad():
        a = run_loss(model, batch)
        model.pool_mode = 'assigned_level'
        b = run_loss(model, batch)
    for key in a:
        assert torch.allclose(a[key], b[key], atol=1e-5), key


def test_pair_count_mismatch_is_a_clear_error():
    model = build(tiny_soco_cfg())
    batch = random_soco_batch(batch=2, sizes=(64, 64, 32))
    data = model.data_preprocessor(batch, True)
    with pytest.raises(ValueError, match='view pairs'):
        model(inputs=data['inputs'][:2], data_samples=data['data_samples'])


def test_target_starts_equal_and_follows_ema():
    model = build(tiny_soco_cfg())
    for name in model.ONLINE:
        online = getattr(model, name).state_dict()
        for key, value in model.target[name].state_dict().items():
            assert torch.equal(value, online[key]), f'{name}.{key}'
    with torch.no_grad():
        for p in model.projector.parameters():
            p.add_(1.)
    before = model.target['projector'].linear1.weight.clone()
    tau = model.update_target(0, 100)
    assert tau == pytest.approx(0.99)
    expected = 0.99 * before + 0.01 * model.projector.linear1.weight
    assert torch.allclose(model.target['projector'].linear1.weight,
                          expected)


def test_target_bn_keeps_its_own_running_statistics():
    """docs/algorithms.md (SoCo target): parameters, not BN buffers,
    follow the EMA. The
    target runs in train mode on its own batch statistics, its running
    statistics move with its own forward passes, and update_target leaves
    them alone (it used to copy the online network's)."""
    model = build(tiny_soco_cfg())
    model.train()
    with torch.no_grad():  # online and target now see different features
        for p in model.backbone.parameters():
            p.mul_(1.5)
    batch = random_soco_batch(batch=2, sizes=(64, 64, 32), seed=5)
    online_bn, target_bn = model.backbone.bn1, model.target['backbone'].bn1
    assert torch.equal(target_bn.running_mean, online_bn.running_mean)
    run_loss(model, batch)
    # three views, one forward each, in train mode
    assert int(target_bn.num_batches_tracked) == 3
    assert int(online_bn.num_batches_tracked) == 3
    assert target_bn.running_mean.abs().sum() > 0
    assert not torch.allclose(target_bn.running_mean,
                              online_bn.running_mean)
    buffers = {k: v.clone() for k, v in model.target.named_buffers()}
    params = {k: v.clone() for k, v in model.target.named_parameters()}
    model.update_target(5, 10)
    for key, value in model.target.named_buffers():
        assert torch.equal(value, buffers[key]), key
    moved = [k for k, v in model.target.named_parameters()
             if not torch.equal(v, params[k])]
    assert any(k.startswith('backbone.') for k in moved)
    assert not torch.allclose(target_bn.running_mean,
                              online_bn.running_mean)


def test_export_key_names():
    """Keys the export tool relies on (docs/algorithms.md) and their shapes in
    mmdet's Shared4Conv1FCBBoxHead."""
    model = build(tiny_soco_cfg())
    keys = set(model.state_dict())
    for i in range(4):
        for suffix in ('conv.weight', 'bn.weight', 'bn.bias',
                       'bn.running_mean', 'bn.running_var'):
            assert f'bbox_head.shared_convs.{i}.{suffix}' in keys
    assert {'bbox_head.shared_fcs.0.weight',
            'bbox_head.shared_fcs.0.bias'} <= keys
    assert not any(k.startswith('bbox_head.shared_fcs.1') for k in keys)
    prefixes = {k.split('.')[0] for k in keys}
    assert prefixes == {'backbone', 'neck', 'bbox_head', 'projector',
                        'predictor', 'target'}
    assert {k.split('.')[1] for k in keys if k.startswith('target.')} == {
        'backbone', 'neck', 'bbox_head', 'projector'}
    # the same head built by mmdet loads our weights key for key
    with DefaultScope.overwrite_default_scope('mmdet'):
        head = MODELS.build(dict(
            type='mmdet.Shared4Conv1FCBBoxHead', in_channels=16,
            conv_out_channels=16, fc_out_channels=32, roi_feat_size=7,
            num_classes=3, norm_cfg=dict(type='BN')))
    ours = {k[len('bbox_head.'):]: v for k, v in model.state_dict().items()
            if k.startswith('bbox_head.')}
    missing, unexpected = head.load_state_dict(ours, strict=False)
    assert not unexpected
    assert all(k.startswith(('fc_cls', 'fc_reg')) for k in missing)


def test_c4_model_forward_backward_and_keys():
    norm = dict(type='BN', requires_grad=True)
    cfg = dict(
        type='SoCoC4',
        backbone=dict(type='mmdet.ResNet', depth=50, base_channels=8,
                      num_stages=3, strides=(1, 2, 2), dilations=(1, 1, 1),
                      out_indices=(2, ), norm_cfg=norm, norm_eval=False),
        shared_head=dict(type='mmdet.ResLayer', depth=50, stage=3,
                         norm_cfg=norm, norm_eval=False),
        projector=dict(type='SoCoMLP', in_channels=2048, hid_channels=64,
                       out_channels=16),
        predictor=dict(type='SoCoMLP', in_channels=16, hid_channels=64,
                       out_channels=16))
    # mmdet's ResLayer has no base_channels: res5 is full width (2048)
    cfg['backbone']['base_channels'] = 64
    model = build(cfg)
    keys = set(model.state_dict())
    assert 'shared_head.layer4.0.conv1.weight' in keys
    assert 'target.shared_head.layer4.2.bn3.weight' in keys
    assert float(model.shared_head.layer4[2].bn3.weight.abs().sum()) == 0.
    losses = run_loss(model, random_soco_batch(batch=2, sizes=(64, 64)))
    assert set(losses) == {'loss_12'}
    losses['loss_12'].backward()
    assert model.shared_head.layer4[0].conv1.weight.grad is not None


def test_r50_fpn_online_network_has_49_4m_parameters():
    cfg = Config.fromfile(osp.join(REPO, 'configs/soco_r50_fpn.py'))
    model = MODELS.build(cfg.model)
    trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
    assert round(trainable / 1e6, 1) == 49.4
    target = sum(p.numel() for p in model.target.parameters())
    predictor = sum(p.numel() for p in model.predictor.parameters())
    assert target == trainable - predictor


def test_lars_groups_exclude_norm_and_bias():
    model = build(tiny_soco_cfg())
    constructor = OPTIM_WRAPPER_CONSTRUCTORS.build(dict(
        type='LARSOptimWrapperConstructor',
        optim_wrapper_cfg=dict(optimizer=dict(
            type='mmselfsup.LARS', lr=0.1, momentum=0.9, weight_decay=1e-5,
            eta=0.001))))
    wrapper = constructor(model)
    scaled, excluded = wrapper.optimizer.param_groups
    assert scaled['weight_decay'] == 1e-5 and not scaled.get('lars_exclude')
    assert excluded['weight_decay'] == 0. and excluded['lars_exclude']
    assert all(p.ndim > 1 for p in scaled['params'])
    assert all(p.ndim == 1 for p in excluded['params'])
    ids = {id(p) for g in (scaled, excluded) for p in g['params']}
    assert ids == {id(p) for p in model.parameters() if p.requires_grad}
    assert math.isclose(len(ids), sum(1 for p in model.parameters()
                                      if p.requires_grad))


@pytest.mark.parametrize('pool_mode', ['all_levels', 'assigned_level'])
def test_degenerate_boxes_give_finite_loss_and_gradients(pool_mode):
    """1-pixel, zero-area and whole-view boxes (what clipping and the
    pipeline's fallbacks can produce) pool without NaNs."""
    model = build(tiny_soco_cfg(pool_mode=pool_mode))
    batch = random_soco_batch(batch=2, sizes=(64, 64, 32))
    for sample in batch['data_samples']:
        boxes = sample.pair_boxes.clone()
        boxes[:, :, 1] = torch.tensor([10., 10., 11., 11.])   # 1 px
        boxes[:, :, 2] = torch.tensor([20., 5., 20., 30.])    # zero width
        boxes[0, 1, 3] = torch.tensor([0., 0., 64., 64.])     # whole view
        boxes[1, 1, 3] = torch.tensor([0., 0., 32., 32.])
        sample.pair_boxes = boxes
    total = sum(run_loss(model, batch).values())
    assert torch.isfinite(total)
    total.backward()
    assert all(torch.isfinite(p.grad).all() for p in model.parameters()
               if p.grad is not None)
