"""Pieces shared by several test modules (not collected): the repository
root, a free port, scripts loaded as modules, random boxes, tiny models and
Runner hooks, the exact-resume protocol, the launcher and train-tool checks,
the cosine the schedules end on, the frozen pre-momentum-target checkpoint
keys, and tiny exported checkpoints loaded into detectors."""
import copy
import importlib.util
import json
import math
import os.path as osp
import socket
import subprocess
import sys

import numpy as np
import pytest
import torch
from mmengine.hooks import Hook

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))

TINY_NORM = dict(type='BN', requires_grad=True)
# the ResNet-18 trunk of the tiny C4 models (tests/soco_tiny.py,
# tests/insloc_tiny.py): stages 1-3 (C4, 256) and the res5 shared head (512)
TINY_C4_TRUNK = dict(
    backbone=dict(type='mmdet.ResNet', depth=18, num_stages=3,
                  strides=(1, 2, 2), dilations=(1, 1, 1), out_indices=(2, ),
                  norm_cfg=TINY_NORM, norm_eval=False),
    shared_head=dict(type='mmdet.ResLayer', depth=18, stage=3, stride=2,
                     norm_cfg=TINY_NORM, norm_eval=False))


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


def load_script(path: str, name: str = ''):
    """A tool or benchmark script (``path``: absolute or relative to the
    repository) as a module named ``name`` (default: the file's name); its
    ``__main__`` block does not run."""
    path = osp.join(REPO, path)
    name = name or osp.splitext(osp.basename(path))[0]
    spec = importlib.util.spec_from_file_location(name, path)
    mod = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(mod)
    return mod


def random_boxes(rng, h, w, n=20, min_side=0.05):
    """``n`` boxes (float32 x1 y1 x2 y2) in an h x w image, corners in its
    first 0.7, sides ``min_side``-0.3 of the image's."""
    xy = rng.uniform(0, 1, (n, 2)) * [w * 0.7, h * 0.7]
    wh = rng.uniform(min_side, 0.3, (n, 2)) * [w, h]
    return np.concatenate([xy, xy + wh], 1).astype(np.float32)


def build_model(cfg: dict, seed: int = 0):
    """An mmsoco model built from ``cfg`` under a fixed seed, initialised."""
    from mmsoco.registry import MODELS
    torch.manual_seed(seed)
    model = MODELS.build(cfg)
    model.init_weights()
    return model


class RecordLoss(Hook):
    """Collects the total loss of every training iteration."""
    priority = 'LOWEST'

    def __init__(self):
        self.losses = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.losses.append(outputs['loss'].item())


class Crash(Exception):
    """Raised by :class:`CrashBeforeIter`."""


class CrashBeforeIter(Hook):
    """Simulate a job killed once iteration ``at`` is due: the checkpoint
    of the previous iteration or epoch is on disk."""
    priority = 'LOWEST'

    def __init__(self, at: int):
        self.at = at

    def before_train_iter(self, runner, batch_idx, data_batch=None):
        if runner.iter == self.at:
            raise Crash(f'killed before iteration {self.at}')


class CrashAfter(Hook):
    """Simulate a killed job: raise after iteration ``at`` (checkpoint
    already written, since the checkpoint hook runs first)."""
    priority = 'LOWEST'

    def __init__(self, at: int):
        self.at = at

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        if runner.iter == self.at:
            raise Crash(f'killed after iteration {self.at}')


def kill_and_resume(make, work_root: str, at: int, ckpt: str = '',
                    before_train=None):
    """The exact-resume protocol: ``make(work_dir, **options)`` builds a
    Runner (options: ``extra_hooks``, ``resume``, ``num_workers``). One run
    goes straight through; another is killed before iteration ``at``
    (:class:`CrashBeforeIter`), leaves ``ckpt`` (when given) and is resumed
    from it with 2 dataloader workers. ``before_train(straight)`` sees the
    straight runner before it trains. -> (straight, resumed), both trained.
    """
    straight = make(osp.join(work_root, 'straight'))
    if before_train is not None:
        before_train(straight)
    straight.train()
    killed_dir = osp.join(work_root, 'killed')
    killed = make(killed_dir, extra_hooks=[CrashBeforeIter(at)])
    with pytest.raises(Crash):
        killed.train()
    if ckpt:
        assert osp.isfile(osp.join(killed_dir, ckpt))
    resumed = make(killed_dir, resume=True, num_workers=2)
    resumed.train()
    return straight, resumed


def assert_same_state_dict(got_model, expected_model) -> None:
    """The two models hold exactly the same parameters and buffers."""
    expected, got = expected_model.state_dict(), got_model.state_dict()
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert torch.equal(got[key], value), key


# ------------------------------------------------------------ launchers
TOY_CONFIG = osp.join(REPO, 'tests', 'dist_toy', 'toy_config.py')


def load_rank_records(work_dir, world_size):
    return [torch.load(osp.join(work_dir, f'rank{r}.pt'), weights_only=False)
            for r in range(world_size)]


def assert_ranks_in_lockstep(records, max_iters):
    for rec in records:
        assert rec['world_size'] == len(records)
        assert rec['iters'] == list(range(max_iters))  # runner.iter, 0-based
    first = records[0]['params']
    for rec in records[1:]:
        assert first.keys() == rec['params'].keys()
        for name, value in first.items():
            assert torch.equal(value, rec['params'][name]), name
    # training moved the parameters away from the seeded initialisation
    assert any(v.abs().sum() > 0 for v in first.values())


# ------------------------------------------------------- tools/train.py
TRAIN = osp.join(REPO, 'tools', 'train.py')


def run_train(args, tool_env, cwd=REPO):
    return subprocess.run([sys.executable, TRAIN, *args], cwd=cwd,
                          env=tool_env, capture_output=True, text=True,
                          timeout=300)


def assert_one_line_error(proc, *needles):
    assert proc.returncode != 0
    err = proc.stderr.strip().splitlines()
    assert 'Traceback' not in proc.stderr
    assert err[-1].startswith('error:'), proc.stderr[-2000:]
    for needle in needles:
        assert needle in err[-1], err[-1]


# ------------------------------------------------------------ schedules
def cosine(t, T, peak, eta_min):
    return eta_min + (peak - eta_min) * (1 + math.cos(math.pi * t / T)) / 2


def last_cosine_step(T, peak=1.0, eta_min=1e-6):
    """mmengine's cosine over [begin, begin + T) reaches eta_min one step
    after its end: its last step is t = T - 1."""
    return cosine(T - 1, T, peak, eta_min)


# ------------------------------------- checkpoints of before (tests/data)
EXPORT = osp.join(REPO, 'tools', 'export_weights.py')


OLD_KEYS = osp.join(REPO, 'tests', 'data', 'pre_momentum_target_keys.json')


def old_state(name: str) -> dict:
    """A random state dict of model ``name`` under the key names, shapes
    and dtypes frozen in tests/data/pre_momentum_target_keys.json."""
    with open(OLD_KEYS) as f:
        entries = json.load(f)[name]
    gen = torch.Generator().manual_seed(0)
    state = {}
    for key, shape, dtype in entries:
        if dtype.startswith('torch.float'):
            state[key] = torch.randn(shape, generator=gen)
        else:
            state[key] = torch.randint(0, 9, shape, generator=gen,
                                       dtype=getattr(torch, dtype[6:]))
    return state


# ------------------------------------------- exports loaded by detectors
FPN_CFG = osp.join(REPO, 'configs/transfer/mask-rcnn_r50_fpn_soco_1x_coco.py')
C4_CFG = osp.join(REPO, 'configs/transfer/mask-rcnn_r50_c4_soco_1x_coco.py')

# the detector side of tests/soco_tiny.py's SoCo (ResNet-18 x 1/8, FPN 16)
TINY_DET = dict(
    backbone=dict(depth=18, base_channels=8),
    neck=dict(in_channels=[8, 16, 32, 64], out_channels=16),
    rpn_head=dict(in_channels=16, feat_channels=16),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=16),
        bbox_head=dict(in_channels=16, conv_out_channels=16,
                       fc_out_channels=32),
        mask_roi_extractor=dict(out_channels=16),
        mask_head=dict(in_channels=16, conv_out_channels=16)))
# the detector side of tests/soco_tiny.py's TINY_SOCO_C4
TINY_DET_C4 = dict(
    backbone=dict(depth=18),
    rpn_head=dict(in_channels=256, feat_channels=256),
    roi_head=dict(
        shared_head=dict(depth=18),
        bbox_roi_extractor=dict(out_channels=256),
        bbox_head=dict(in_channels=512),
        mask_head=dict(in_channels=512, conv_out_channels=16)))


def perturb_(model):
    """Make every tensor distinct from its initial value (BN stats too)."""
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for t in model.state_dict().values():
            if t.is_floating_point():
                t.add_(torch.rand(t.shape, generator=gen) + 0.1)


def save_pretrain_ckpt(model_cfg, path):
    import mmsoco  # noqa: F401
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import save_checkpoint
    from mmsoco.registry import MODELS
    init_default_scope('mmsoco')
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(model_cfg))
    model.init_weights()
    perturb_(model)
    cfg = Config(dict(model=model_cfg, default_scope='mmsoco'))
    # the layout Runner.save_checkpoint writes
    save_checkpoint(
        dict(meta=dict(cfg=cfg.pretty_text, iter=3, epoch=0),
             state_dict=model.state_dict(), message_hub={},
             optimizer={}, param_schedulers=[]), str(path))
    return model


def build_detector(cfg_path, overrides, checkpoint):
    import mmsoco  # noqa: F401
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    from mmengine.registry import MODELS, init_default_scope
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(cfg_path)
    cfg.merge_from_dict(dict(model=overrides))
    cfg.model.init_cfg.checkpoint = checkpoint
    init_default_scope('mmdet')
    torch.manual_seed(123)
    model = MODELS.build(cfg.model)
    return model


def assert_transferred(det, online, pairs):
    det_sd = det.state_dict()
    checked = 0
    for src_prefix, dst_prefix in pairs:
        src = {k: v for k, v in online.state_dict().items()
               if k.startswith(src_prefix)}
        dst = {k: v for k, v in det_sd.items() if k.startswith(dst_prefix)}
        assert src, src_prefix
        assert len(src) == len(dst), (src_prefix, sorted(set(
            k[len(dst_prefix):] for k in dst) ^ set(
                k[len(src_prefix):] for k in src))[:5])
        for k, v in src.items():
            torch.testing.assert_close(
                det_sd[dst_prefix + k[len(src_prefix):]], v, rtol=0, atol=0)
            checked += 1
    return checked


# how pickle names the payload's callable (``open`` is ``io.open``)
PAYLOAD_TYPE = f'{open.__module__}.{open.__qualname__}'


class Payload:
    """Unpickling it calls ``open(marker, 'w')``: creates a file."""

    def __init__(self, marker):
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, 'w'))


def write_payload_checkpoint(path, marker):
    """A checkpoint that looks like mmsoco's, with a payload in its meta."""
    torch.save(dict(state_dict=dict(weight=torch.ones(2)),
                    meta=dict(iter=3, note=Payload(marker))), str(path))
    return str(path)


def sigint_default() -> None:
    """``preexec_fn`` for a tool that a test stops with SIGINT: a shell
    running the tests in the background starts them with SIGINT ignored,
    and a Python started so keeps ignoring it; a terminal's Ctrl-C reaches
    tools whose SIGINT is the default."""
    import signal
    signal.signal(signal.SIGINT, signal.SIG_DFL)
