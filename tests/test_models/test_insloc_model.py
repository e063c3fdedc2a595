"""The InsLoc and InsLocC4 models end to end on random tensors with boxes
(tiny backbones): losses per level against a hand computation, the EMA key
network, the queue filled through the model, the box augmentation's
levels, the queue-length check and its late-fill warning, the configs
and the 200-epoch query network's parameter count."""
import copy
import logging
import os.path as osp
import subprocess
import sys
from types import SimpleNamespace

import pytest
import torch
from mmengine.config import Config
from mmengine.registry import init_default_scope

from mmsoco.models.utils.anchor_box_aug import box_iou
from mmsoco.registry import MODELS

from ..helpers import REPO
from ..helpers import build_model as build
from ..insloc_tiny import random_insloc_batch, tiny_insloc_cfg

init_default_scope('mmsoco')
pytestmark = pytest.mark.usefixtures('quiet_init')




def preprocess(model, batch):
    return model.data_preprocessor(copy.deepcopy(batch), True)


def run_loss(model, batch):
    return model(**preprocess(model, batch), mode='loss')


def hand_info_nce(q, k, negatives, t):
    """-log(exp(q.k/t) / (exp(q.k/t) + sum_n exp(q.n/t))), batch mean."""
    q, k, negatives = q.double(), k.double(), negatives.double()
    pos = (q * k).sum(1) / t
    logits = torch.cat([pos[:, None], q @ negatives.t() / t], dim=1)
    return (torch.logsumexp(logits, dim=1) - pos).mean()


def grads_reach(module) -> bool:
    return any(p.grad is not None and p.grad.abs().sum() > 0
               for p in module.parameters())


def test_fpn_forward_backward_one_loss_per_level():
    model = build(tiny_insloc_cfg())
    losses = run_loss(model, random_insloc_batch(batch=4, size=64))
    assert list(losses) == ['loss_p2', 'loss_p3', 'loss_p4', 'loss_p5']
    bound = torch.log(torch.tensor(17.)) + 2 / 0.2  # 1 + 16 logits in [-5, 5]
    for name, value in losses.items():
        assert torch.isfinite(value) and 0 < value.item() < bound, name
    sum(losses.values()).backward()
    for name in model.ONLINE:
        assert grads_reach(getattr(model, name)), name
    assert all(not p.requires_grad and p.grad is None
               for p in model.target.parameters())
    assert not any(p.requires_grad for p in model.queue.parameters())


def test_c4_forward_backward_one_loss():
    model = build(tiny_insloc_cfg(c4=True))
    assert model.num_levels == 1 and model.box_aug_levels == (0, )
    keys = set(model.state_dict())
    assert 'shared_head.layer4.0.conv1.weight' in keys
    assert 'target.shared_head.layer4.1.bn2.weight' in keys
    assert model.queue.queue.shape == (1, 16, 16)
    losses = run_loss(model, random_insloc_batch(batch=4, size=64))
    assert list(losses) == ['loss_c4']
    assert torch.isfinite(losses['loss_c4'])
    losses['loss_c4'].backward()
    for name in model.ONLINE:
        assert grads_reach(getattr(model, name)), name


@pytest.mark.parametrize('c4', [False, True])
def test_loss_per_level_matches_a_hand_computation_and_fills_queues(c4):
    """Level l's loss uses level l's embeddings and queue l; the step then
    writes the keys into queue l at ptr, wrapping around the end."""
    model = build(tiny_insloc_cfg(c4=c4, queue_len=6, box_aug=None))
    names = list(run_loss(copy.deepcopy(model).eval(),
                          random_insloc_batch(batch=2)))
    assert len(names) == model.num_levels
    nets = model.online_nets
    for step, ptr in ((0, 0), (1, 4)):  # second step: slots 4, 5, 0, 1
        data = preprocess(model, random_insloc_batch(batch=4, seed=step))
        boxes = torch.stack([s.view_boxes for s in data['data_samples']])
        queue = model.queue.queue.clone()
        losses = model(**data, mode='loss')
        assert int(model.queue.ptr) == (ptr + 4) % 6
        # recompute with the networks as they are after the step (the key
        # network after its EMA update; BN in training mode uses batch
        # statistics, so the same inputs give the same embeddings)
        with torch.no_grad():
            q_img, k_img = data['inputs']
            q = model.embed(model.extract_feat(q_img, nets),
                            [boxes[:, 0]] * model.num_levels, nets)
            k = model.embed(model.extract_feat(k_img, model.target),
                            [boxes[:, 1]] * model.num_levels, model.target)
        slots = [(ptr + i) % 6 for i in range(4)]
        for lv, name in enumerate(names):
            expected = hand_info_nce(q[lv], k[lv], queue[lv], 0.2)
            assert losses[name].item() == pytest.approx(expected.item(),
                                                        rel=1e-4, abs=1e-5)
            torch.testing.assert_close(model.queue.queue[lv, slots], k[lv])
            untouched = [i for i in range(6) if i not in slots]
            assert torch.equal(model.queue.queue[lv, untouched],
                               queue[lv, untouched])
    if not c4:  # the levels' queues are distinct, so a mix-up would show
        assert not torch.allclose(queue[0], queue[1])


def test_key_network_starts_equal_then_follows_ema_of_the_parameters():
    model = build(tiny_insloc_cfg())
    for name in model.ONLINE:
        online = getattr(model, name).state_dict()
        for key, value in model.target[name].state_dict().items():
            assert torch.equal(value, online[key]), f'{name}.{key}'
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:
                p.add_(0.5)
    before = {n: p.clone() for n, p in model.target.named_parameters()}
    online = dict(model.named_parameters())
    bn = model.target['backbone'].bn1
    stats_before = bn.running_mean.clone()
    data = preprocess(model, random_insloc_batch(batch=4))
    # what MomentumTargetHook does before the step (constant momentum: the
    # iteration does not matter)
    assert model.update_target(7, 10) == 0.999
    model(**data, mode='loss')
    assert model.momentum == 0.999
    for name, p in model.target.named_parameters():
        expected = 0.999 * before[name] + 0.001 * online[name].detach()
        torch.testing.assert_close(p, expected, rtol=0, atol=1e-6)
        assert not torch.equal(p, before[name])
    # MoCo: the key network keeps its own BN statistics, updated by its own
    # forward pass on the key images only (not copied from the query one)
    with torch.no_grad():
        conv1 = model.target['backbone'].conv1(data['inputs'][1])
    expected = 0.9 * stats_before + 0.1 * conv1.mean(dim=(0, 2, 3))
    torch.testing.assert_close(bn.running_mean, expected)
    assert int(bn.num_batches_tracked) == 1


def test_eval_mode_leaves_key_network_and_queue_alone():
    model = build(tiny_insloc_cfg())
    model.eval()
    state = copy.deepcopy(model.state_dict())
    with torch.no_grad():
        losses = run_loss(model, random_insloc_batch(batch=4))
    assert len(losses) == 4
    for key, value in model.state_dict().items():
        assert torch.equal(value, state[key]), key


def test_box_aug_replaces_the_query_box_on_p5_only():
    model = build(tiny_insloc_cfg())
    assert model.box_aug_levels == (3, )
    boxes = torch.tensor([[10., 20., 150., 200.], [100., 40., 240., 170.],
                          [0., 0., 255., 254.]])
    torch.manual_seed(0)
    level_boxes = model.query_boxes(boxes, (256, 256))
    for lv in range(3):
        assert torch.equal(level_boxes[lv], boxes)
    aug = level_boxes[3]
    assert not torch.equal(aug, boxes)
    assert (box_iou(aug, boxes).diagonal() > 0.5).all()
    # off: the true box everywhere
    model = build(tiny_insloc_cfg(box_aug=None))
    assert all(torch.equal(b, boxes)
               for b in model.query_boxes(boxes, (256, 256)))
    with pytest.raises(ValueError, match=r'box_aug levels \[4\] out of '):
        MODELS.build(tiny_insloc_cfg(box_aug=dict(levels=(4, ))))


def test_box_aug_and_loss_follow_the_samples_view_seeds():
    """With a view seed per sample (the seeded samplers), the box
    augmentation of a sample depends on its seed only: not on torch's
    global stream, nor on the other samples of the batch."""
    model = build(tiny_insloc_cfg())
    boxes = torch.tensor([[10., 20., 150., 200.], [100., 40., 240., 170.],
                          [0., 0., 255., 254.]])
    seeds = [(0, 1, 5), (0, 1, 6), (3, 0, 5)]
    torch.manual_seed(0)
    a = model.query_boxes(boxes, (256, 256), seeds)[3]
    torch.manual_seed(1)
    assert torch.equal(a, model.query_boxes(boxes, (256, 256), seeds)[3])
    b = model.query_boxes(boxes[[2, 0]], (256, 256), [seeds[2], seeds[0]])
    assert torch.equal(b[3], a[[2, 0]])
    assert (box_iou(a, boxes).diagonal() > 0.5).all()
    draws = {tuple(model.query_boxes(boxes[:1], (256, 256),
                                     [(0, e, 5)])[3][0].tolist())
             for e in range(10)}
    assert len(draws) > 1  # the epoch changes the draw
    # through the data samples: the loss no longer depends on the stream
    data = preprocess(model, random_insloc_batch(batch=4))
    for i, sample in enumerate(data['data_samples']):
        sample.set_metainfo(dict(view_seed=(0, 2, i)))
    losses = []
    for stream in (0, 1):
        torch.manual_seed(stream)
        with torch.no_grad():
            losses.append(copy.deepcopy(model)(**data, mode='loss'))
    for key in losses[0]:
        assert torch.equal(losses[0][key], losses[1][key]), key
    # (without the seeds the two streams give two P5 boxes, two losses)
    for sample in data['data_samples']:
        del sample.view_seed
    for stream in (0, 1):
        torch.manual_seed(stream)
        with torch.no_grad():
            losses[stream] = copy.deepcopy(model)(**data, mode='loss')
    assert not torch.equal(losses[0]['loss_p5'], losses[1]['loss_p5'])


def test_queue_shorter_than_global_batch_is_a_one_line_error():
    from mmsoco.engine.hooks import QueueLengthCheckHook, QueueTooShortError
    model = build(tiny_insloc_cfg(queue_len=3))
    with pytest.raises(ValueError) as err:
        run_loss(model, random_insloc_batch(batch=4))
    msg = str(err.value)
    assert 'queue_len=3' in msg and 'global batch 4' in msg
    assert 'model.queue_len >= 4' in msg and '\n' not in msg
    assert int(model.queue.ptr) == 0  # refused before anything changed
    # the hook refuses before the first step (batch per process x world)
    hook = QueueLengthCheckHook()
    runner = SimpleNamespace(model=model, iter=0, max_iters=100,
                             train_dataloader=SimpleNamespace(batch_size=4))
    with pytest.raises(QueueTooShortError) as err:
        hook.before_train(runner)
    assert isinstance(err.value, ValueError)
    assert str(err.value).startswith('InsLoc: queue_len=3')
    assert '\n' not in str(err.value)
    runner.train_dataloader.batch_size = 3  # equal is enough: wrap-around
    hook.before_train(runner)
    runner.model = SimpleNamespace()
    with pytest.raises(TypeError, match='check_global_batch'):
        hook.before_train(runner)


def test_a_queue_that_fills_late_in_the_run_is_one_warning(monkeypatch):
    from mmsoco.engine.hooks import queue_length_check_hook as qhook
    said = []
    monkeypatch.setattr(qhook, 'print_log',
                        lambda msg, **kw: said.append((kw['level'], msg)))
    model = build(tiny_insloc_cfg(queue_len=64))
    runner = SimpleNamespace(model=model, iter=0, max_iters=20,
                             train_dataloader=SimpleNamespace(batch_size=4))
    qhook.QueueLengthCheckHook().before_train(runner)
    # 64 keys at 4 a step: 16 of 20 iterations hold random negatives
    assert len(said) == 1 and said[0][0] == logging.WARNING
    msg = said[0][1]
    assert msg.startswith('InsLoc: the queue (queue_len=64) fills')
    assert 'only after 16 of the run\'s 20 iterations' in msg
    assert 'set model.queue_len <= 8' in msg and '\n' not in msg
    # long enough a run, or a resume past the fill: silent
    for it, total in ((0, 160), (16, 20)):
        said.clear()
        runner.iter, runner.max_iters = it, total
        qhook.QueueLengthCheckHook().before_train(runner)
        assert said == []
    # under 10 iterations no queue length fits: the length that would
    msg = qhook.late_fill_message(64, 4, 0, 5)
    assert "after 16 iterations, past the run's 5" in msg
    assert msg.endswith('train for at least 160 iterations to fill it '
                        'within 10% of the run')
    # the global batch counts every process's keys
    monkeypatch.setattr(qhook, 'get_world_size', lambda: 2)
    said.clear()
    runner.iter, runner.max_iters = 0, 20
    qhook.QueueLengthCheckHook().before_train(runner)
    assert 'after 8 of the run\'s 20 iterations at global batch 8' in \
        said[0][1]
    # a model without a queue is checked, not warned
    said.clear()
    runner.model = SimpleNamespace(check_global_batch=lambda n: None)
    qhook.QueueLengthCheckHook().before_train(runner)
    assert said == []


def test_wrong_inputs_are_clear_errors():
    model = build(tiny_insloc_cfg())
    data = preprocess(model, random_insloc_batch(batch=2))
    with pytest.raises(ValueError, match='takes 2 views'):
        model(inputs=data['inputs'][:1], data_samples=data['data_samples'])
    for sample in data['data_samples']:
        del sample.view_boxes
    with pytest.raises(KeyError, match='PackInsLocInputs'):
        model(**data, mode='loss')


CONFIGS = ['insloc_r50_fpn_8xb32-200e_in1k.py',
           'insloc_r50_fpn_8xb32-400e_in1k.py',
           'insloc_r50_c4_8xb32-200e_in1k.py',
           'insloc_r18_fpn_1xb4-8iter_demo.py']


def trainable(module) -> int:
    return sum(p.numel() for p in module.parameters() if p.requires_grad)


@pytest.mark.parametrize('name', CONFIGS)
def test_configs_build_without_custom_imports(name):
    cfg = Config.fromfile(osp.join(REPO, 'configs', name))
    assert 'custom_imports' not in cfg
    assert cfg.custom_hooks == [dict(type='MomentumTargetHook'),
                                dict(type='QueueLengthCheckHook'),
                                dict(type='SoCoDataHook'),
                                dict(type='ExportMapHook')]
    model = MODELS.build(cfg.model)
    # the key network mirrors the query network, with no gradient
    assert sum(p.numel() for p in model.target.parameters()) == \
        trainable(model)
    assert not any(p.requires_grad for p in model.target.parameters())
    if name == 'insloc_r18_fpn_1xb4-8iter_demo.py':
        assert cfg.train_dataloader.sampler.type == 'SeededInfiniteSampler'
        assert model.queue.queue.shape == (4, 256, 128)
    elif name == 'insloc_r50_c4_8xb32-200e_in1k.py':
        assert type(model).__name__ == 'InsLocC4'
        assert model.queue.queue.shape == (1, 65536, 128)
        # R50 stages 1-3 + res5 + FC 2048->1024 + Linear 1024->128
        assert trainable(model) == 25_737_408
    else:
        assert cfg.train_dataloader.batch_size == 32
        assert cfg.train_dataloader.sampler.type == 'SeededDefaultSampler'
        assert model.queue.queue.shape == (4, 65536, 128)
        assert (model.momentum, model.temperature) == (0.999, 0.2)


def test_mini_world_queue_fills_early_in_its_run():
    from mmsoco.engine.hooks.queue_length_check_hook import late_fill_message
    cfg = Config.fromfile(
        osp.join(REPO, 'configs', 'insloc_r18_fpn_mini-world.py'))
    batch, iters = cfg.train_dataloader.batch_size, cfg.train_cfg.max_iters
    assert late_fill_message(cfg.model.queue_len, batch, 0, iters) is None
    # a queue that takes the whole run to fill would warn
    assert late_fill_message(16 * iters, batch, 0, iters)


def test_r50_fpn_200ep_query_network_has_43_2m_parameters():
    """R50 23,508,032 + BN-FPN 3,346,432 + 4conv 2,361,344 + FC 1024
    12,846,080 + FC 1024 and Linear 128 1,180,800 (docs/algorithms.md)."""
    cfg = Config.fromfile(osp.join(REPO, 'configs',
                                   'insloc_r50_fpn_8xb32-200e_in1k.py'))
    model = MODELS.build(cfg.model)
    parts = {n: trainable(getattr(model, n)) for n in model.ONLINE}
    assert parts == {'backbone': 23_508_032, 'neck': 3_346_432,
                     'bbox_head': 2_361_344 + 12_846_080,
                     'projector': 1_180_800}
    assert trainable(model) == 43_242_688
    assert round(trainable(model) / 1e6, 1) == 43.2


def test_insloc_registered_on_import_mmsoco(tool_env):
    """A fresh interpreter: `import mmsoco` and the default scope suffice
    (the registries' lazy locations import the InsLoc modules)."""
    code = (
        'import mmsoco\n'
        'from mmengine.registry import init_default_scope\n'
        'from mmsoco.registry import DATASETS, HOOKS, MODELS, TRANSFORMS\n'
        'init_default_scope("mmsoco")\n'
        'for reg, names in ((MODELS, ("InsLoc", "InsLocC4", '
        '"InsLocProjector")), (DATASETS, ("InsLocDataset",)), '
        '(TRANSFORMS, ("InsLocCopyPaste", "ViewBoxRandomFlip", '
        '"PackInsLocInputs")), (HOOKS, ("QueueLengthCheckHook",))):\n'
        '    for n in names:\n'
        '        assert reg.get(n) is not None, n\n'
        'm = MODELS.build(dict(type="InsLocProjector", in_channels=4, '
        'hid_channels=4, out_channels=2))\n'
        'from mmsoco.utils import register_all_modules\n'
        'register_all_modules()\n'
        'print("ok", type(m).__name__)\n')
    res = subprocess.run([sys.executable, '-c', code], env=tool_env,
                         capture_output=True, text=True, timeout=300)
    assert res.returncode == 0, res.stderr[-2000:]
    assert res.stdout.split() == ['ok', 'InsLocProjector']
