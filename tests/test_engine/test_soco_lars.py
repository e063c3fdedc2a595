"""SoCoLARS, the reference's LARS update (docs/algorithms.md, SoCo recipe), against a
hand computation; the SoCo configs use it through the LARS groups."""
import copy
import os.path as osp

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.optim import build_optim_wrapper
from mmengine.registry import init_default_scope
from torch import nn

from mmsoco.engine.optimizers import SoCoLARS
from mmsoco.registry import OPTIMIZERS

from ..helpers import REPO

W = np.array([[0.5, -1.0, 2.0], [0.25, 0.0, -0.75]])
GW = np.array([[0.1, 0.2, -0.3], [0.0, 0.4, 0.05]])
B = np.array([0.3, -0.2, 0.0])
GB = np.array([0.05, -0.1, 0.2])
LR, MOM, WD, ETA, EPS = 0.5, 0.9, 0.01, 0.002, 1e-8


def params():
    w = nn.Parameter(torch.tensor(W, dtype=torch.float64))
    b = nn.Parameter(torch.tensor(B, dtype=torch.float64))
    return w, b


def groups(w, b):
    return [dict(params=[w]),
            dict(params=[b], weight_decay=0., lars_exclude=True)]


def hand_step(w, gw, b, gb, buf_w=None, buf_b=None):
    """The reference: d = g + wd w; d *= eta ||w|| / (||d|| + eps); SGD
    momentum (buf = d at first); biases: plain SGD momentum."""
    d = gw + WD * w
    d = d * ETA * np.linalg.norm(w) / (np.linalg.norm(d) + EPS)
    buf_w = d if buf_w is None else MOM * buf_w + d
    buf_b = gb if buf_b is None else MOM * buf_b + gb
    return w - LR * buf_w, b - LR * buf_b, buf_w, buf_b


def run(opt, w, b, grads):
    for gw, gb in grads:
        w.grad = torch.tensor(gw, dtype=torch.float64)
        b.grad = torch.tensor(gb, dtype=torch.float64)
        opt.step()


def test_two_steps_match_the_hand_computation():
    w, b = params()
    opt = SoCoLARS(groups(w, b), lr=LR, momentum=MOM, weight_decay=WD,
                   eta=ETA, eps=EPS)
    run(opt, w, b, [(GW, GB)])
    w1, b1, buf_w, buf_b = hand_step(W, GW, B, GB)
    np.testing.assert_allclose(w.detach().numpy(), w1, rtol=1e-12)
    np.testing.assert_allclose(b.detach().numpy(), b1, rtol=1e-12)
    # the first step moves w by lr * eta * ||w|| along d: a trust-ratio step
    assert np.isclose(np.linalg.norm(W - w1), LR * ETA * np.linalg.norm(W))
    run(opt, w, b, [(GW[::-1] * 2, -GB)])
    w2, b2, _, _ = hand_step(w1, GW[::-1] * 2, b1, -GB, buf_w, buf_b)
    np.testing.assert_allclose(w.detach().numpy(), w2, rtol=1e-12)
    np.testing.assert_allclose(b.detach().numpy(), b2, rtol=1e-12)


def test_differs_from_mmselfsup_lars():
    """mmselfsup's trust ratio is eta ||w|| / (||g|| + wd ||w|| + eps)."""
    init_default_scope('mmsoco')
    out = []
    for cfg in (dict(type='SoCoLARS'), dict(type='mmselfsup.LARS')):
        w, b = params()
        opt = OPTIMIZERS.build(dict(cfg, params=groups(w, b), lr=LR,
                                    momentum=MOM, weight_decay=0.5, eta=ETA))
        run(opt, w, b, [(GW, GB)])
        out.append(w.detach().numpy().copy())
    d = GW + 0.5 * W
    ref = W - LR * ETA * np.linalg.norm(W) / np.linalg.norm(d) * d
    np.testing.assert_allclose(out[0], ref, rtol=1e-7)
    assert not np.allclose(out[0], out[1], rtol=1e-4)


def test_zero_weight_or_gradient_keeps_the_plain_step():
    w = nn.Parameter(torch.zeros(2, 2, dtype=torch.float64))
    opt = SoCoLARS([w], lr=0.1, momentum=0., weight_decay=0.)
    w.grad = torch.ones(2, 2, dtype=torch.float64)
    opt.step()  # ||w|| = 0: ratio 1
    np.testing.assert_allclose(w.detach().numpy(), -0.1)
    w.grad = torch.zeros(2, 2, dtype=torch.float64)
    opt.step()  # ||g|| = 0: no move, no NaN
    np.testing.assert_allclose(w.detach().numpy(), -0.1)
    with pytest.raises(ValueError, match='eta'):
        SoCoLARS([w], lr=0.1, eta=-1.)


def test_state_dict_resumes_exactly():
    grads = [(GW, GB), (-GW, 2 * GB), (0.5 * GW, GB)]
    w, b = params()
    opt = SoCoLARS(groups(w, b), lr=LR, momentum=MOM, weight_decay=WD)
    run(opt, w, b, grads)
    w2, b2 = params()
    opt2 = SoCoLARS(groups(w2, b2), lr=LR, momentum=MOM, weight_decay=WD)
    run(opt2, w2, b2, grads[:1])
    state = copy.deepcopy(opt2.state_dict())
    w3, b3 = (nn.Parameter(w2.detach().clone()),
              nn.Parameter(b2.detach().clone()))
    opt3 = SoCoLARS(groups(w3, b3), lr=LR, momentum=MOM, weight_decay=WD)
    opt3.load_state_dict(state)
    run(opt3, w3, b3, grads[1:])
    assert torch.equal(w3, w) and torch.equal(b3, b)


def test_soco_configs_build_it_over_the_lars_groups():
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'soco_r50_fpn.py'))
    init_default_scope('mmsoco')
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.BatchNorm2d(4))
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    opt = wrapper.optimizer
    assert isinstance(opt, SoCoLARS)
    scaled, excluded = opt.param_groups
    assert (scaled['weight_decay'], scaled['eta'], scaled['eps']) == (
        1e-5, 0.001, 1e-8)
    assert excluded['lars_exclude'] and excluded['weight_decay'] == 0.
