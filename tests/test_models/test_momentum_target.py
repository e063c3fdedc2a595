"""The momentum target, written once (``MomentumTarget`` driven by
``MomentumTargetHook``) for SoCo, SoCoC4, InsLoc and InsLocC4: its two
schedules, the EMA of parameters only, the hook driving every algorithm the
same way, SoCoC4's zero-initialised res5 reaching the target, and
checkpoints written before the component (their key names are frozen in
tests/data/pre_momentum_target_keys.json) loading and exporting."""
import copy
from types import SimpleNamespace

import pytest
import torch
from torch import nn

from mmsoco.engine.hooks import MomentumTargetHook
from mmsoco.models.utils import MomentumTarget, scheduled_momentum
from mmsoco.registry import HOOKS
from mmsoco.transfer import export_checkpoint
from mmsoco.transfer.convert import to_mmdet

from ..helpers import build_model as build
from ..helpers import old_state
from ..insloc_tiny import tiny_insloc_cfg
from ..soco_tiny import TINY_SOCO_C4, tiny_soco_cfg

pytestmark = pytest.mark.usefixtures('one_thread', 'quiet_init')

# the tiny models whose state-dict keys the JSON file froze
TINY = {
    'SoCo': tiny_soco_cfg(),
    'SoCoC4': dict(TINY_SOCO_C4,
                   data_preprocessor=dict(type='MultiViewDataPreprocessor')),
    'InsLoc': tiny_insloc_cfg(),
    'InsLocC4': tiny_insloc_cfg(c4=True),
}
SCHEDULE = {'SoCo': ('cosine', 0.99), 'SoCoC4': ('cosine', 0.99),
            'InsLoc': ('constant', 0.999), 'InsLocC4': ('constant', 0.999)}


def test_schedules():
    assert scheduled_momentum(0, 100, 0.99) == pytest.approx(0.99)
    assert scheduled_momentum(50, 100, 0.99) == pytest.approx(0.995)
    assert scheduled_momentum(100, 100, 0.99) == 1.0
    assert scheduled_momentum(120, 100, 0.99) == 1.0  # clamped
    for k in (0, 37, 100):
        assert scheduled_momentum(k, 100, 0.999, 'constant') == 0.999
    with pytest.raises(ValueError, match=r"one of \('cosine', 'constant'\)"):
        scheduled_momentum(0, 1, 0.9, 'linear')
    with pytest.raises(ValueError, match="got 'linear'"):
        MomentumTarget({}, 0.9, 'linear')
    with pytest.raises(ValueError, match=r'in \[0, 1\]'):
        MomentumTarget({}, 1.5)


def test_step_averages_parameters_only_and_sync_copies_everything():
    torch.manual_seed(0)
    online = {'a': nn.Sequential(nn.Linear(3, 3), nn.BatchNorm1d(3))}
    target = MomentumTarget(online, 0.9, 'constant')
    assert set(target.state_dict()) == {
        'a.0.weight', 'a.0.bias', 'a.1.weight', 'a.1.bias',
        'a.1.running_mean', 'a.1.running_var', 'a.1.num_batches_tracked'}
    assert not any(p.requires_grad for p in target.parameters())
    assert target.momentum == 0.9 and not target.stepped
    with torch.no_grad():
        for p in online['a'].parameters():
            p.add_(1.)
    online['a'][1].running_mean.fill_(5.)
    before = {k: v.clone() for k, v in target.named_parameters()}
    assert target.step(online, 3, 10) == 0.9 and target.stepped
    for (k, p), o in zip(target.named_parameters(),
                         online['a'].parameters()):
        torch.testing.assert_close(p, 0.9 * before[k] + 0.1 * o)
    assert torch.equal(target['a'][1].running_mean, torch.zeros(3))
    target.sync(online)
    for k, v in online['a'].state_dict().items():
        assert torch.equal(target['a'].state_dict()[k], v), k
    with pytest.raises(KeyError, match=r"copies \['a'\], got online "
                       r"modules \['b'\]"):
        target.step({'b': online['a']}, 0, 1)


class _Hub:

    def __init__(self):
        self.scalars = {}

    def update_scalar(self, key, value):
        self.scalars[key] = value


@pytest.mark.parametrize('name', list(TINY))
def test_every_algorithm_has_one_target_driven_by_the_hook(name):
    """Same component, same hook, the algorithm's schedule; the forward
    pass alone leaves the target's parameters alone."""
    model = build(copy.deepcopy(TINY[name]))
    schedule, base = SCHEDULE[name]
    assert type(model.target) is MomentumTarget
    assert list(model.target) == list(model.ONLINE)
    assert (model.target.schedule, model.target.base_momentum) == \
        (schedule, base)
    assert model.momentum == base  # before any step: m at iteration 0
    with torch.no_grad():
        for p in model.parameters():
            if p.requires_grad:
                p.add_(0.5)
    before = {k: v.clone() for k, v in model.target.named_parameters()}
    online = dict(model.named_parameters())
    runner = SimpleNamespace(model=model, iter=3, max_iters=10,
                             message_hub=_Hub())
    MomentumTargetHook().before_train_iter(runner, batch_idx=0)
    m = scheduled_momentum(3, 10, base, schedule)
    assert runner.message_hub.scalars['train/ema_momentum'] == m
    assert model.momentum == m
    for k, p in model.target.named_parameters():
        expected = m * before[k] + (1 - m) * online[k].detach()
        torch.testing.assert_close(p, expected, rtol=0, atol=1e-6)
        assert not torch.equal(p, before[k]), k


def test_hook_builds_from_its_name_and_refuses_a_model_without_target():
    hook = HOOKS.build(dict(type='MomentumTargetHook'))
    assert isinstance(hook, MomentumTargetHook)
    runner = SimpleNamespace(model=nn.Linear(1, 1), iter=0, max_iters=1,
                             message_hub=_Hub())
    with pytest.raises(TypeError, match='Linear has none'):
        hook.before_train_iter(runner, batch_idx=0)


def test_soco_c4_zero_initialised_res5_reaches_the_target():
    """A bottleneck res5 (R50's): its last BN gammas start at 0, in the
    online network and in the target, which starts equal to it."""
    cfg = copy.deepcopy(TINY['SoCoC4'])
    cfg['backbone'].update(depth=50)  # C4 = 1024 channels
    cfg['shared_head'].update(depth=50)
    cfg['projector'].update(in_channels=2048)
    model = build(cfg)
    gammas = [k for k in model.state_dict()
              if k.startswith('shared_head.') and 'bn3.weight' in k]
    assert len(gammas) == 3
    state = model.state_dict()
    for k in gammas:
        assert not state[k].any(), k
    for k, v in model.target.state_dict().items():
        assert torch.equal(v, state[k]), k
    cfg['zero_init_shared_head_residual'] = False
    state = build(cfg).state_dict()
    assert all(state[k].all() for k in gammas)


@pytest.mark.parametrize('name', list(TINY))
def test_checkpoints_written_before_load_and_export(name, tmp_path):
    """A state dict under the key names (and shapes) the models had before
    the momentum target was one component loads strictly and exports from
    the online and the target network."""
    state = old_state(name)
    assert any(k.startswith('target.') for k in state)
    model = build(copy.deepcopy(TINY[name]))
    assert list(model.state_dict()) == list(state)  # same names and order
    model.load_state_dict(state, strict=True)
    for k, v in model.state_dict().items():
        assert torch.equal(v, state[k]), k
    path = tmp_path / 'old.pth'
    torch.save(dict(state_dict=state, meta=dict(cfg=f"model = dict("
                                                f"type='{name}')\n")), path)
    for source, prefix in (('online', ''), ('target', 'target.')):
        export = export_checkpoint(str(path), source=source)
        assert export.model_type == name
        assert torch.equal(export.state_dict['backbone.conv1.weight'],
                           state[prefix + 'backbone.conv1.weight'])
        assert export.state_dict.keys() == to_mmdet(state).state_dict.keys()
