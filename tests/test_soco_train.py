"""SoCo trained by mmengine's Runner on the CPU on real coco_tiny images:
the loss goes down (with the real view pipeline and proposals, and with a
deterministic in-test dataset), and a run killed half-way and resumed ends
with the same parameters (target network included) as an uninterrupted run.

The resume test uses the in-test dataset, whose views depend only on the
sample index: the registered view transforms draw from a per-process
generator seeded at start, so after a resume they would repeat the first
iterations' augmentations and the comparison would test the data, not the
model and optimiser state."""
import math
import os
import os.path as osp

import pytest
import torch
from mmengine.hooks import Hook
from mmengine.runner import Runner

import mmsoco  # noqa: F401

from .conftest import REPO
from .soco_tiny import PackedSoCoToyDataset, tiny_soco_cfg

MAX_ITERS = 6


class Crash(Exception):
    pass


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


class RecordLoss(Hook):
    priority = 'LOWEST'

    def __init__(self):
        self.losses = []

    def after_train_iter(self, runner, batch_idx, data_batch=None,
                         outputs=None):
        self.losses.append(outputs['loss'].item())


def make_runner(work_dir: str, coco_tiny: str, max_iters: int,
                resume: bool = False, extra_hooks=(), lr: float = 0.2,
                ckpt_interval: int = MAX_ITERS // 2,
                dataset=None) -> Runner:
    if dataset is None:
        dataset = PackedSoCoToyDataset(osp.join(coco_tiny, 'train2017'),
                                       num_images=8)
    return Runner(
        model=tiny_soco_cfg(),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=dataset,
            sampler=dict(type='InfiniteSampler', shuffle=True),
            batch_size=4,
            num_workers=0),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=max_iters),
        optim_wrapper=dict(
            constructor='LARSOptimWrapperConstructor',
            optimizer=dict(type='mmselfsup.LARS', lr=lr, momentum=0.9,
                           weight_decay=1e-5, eta=0.001)),
        param_scheduler=[
            dict(type='LinearLR', start_factor=0.01, by_epoch=False,
                 begin=0, end=2),
            dict(type='CosineAnnealingLR', T_max=max_iters - 2,
                 eta_min=1e-6, by_epoch=False, begin=2, end=max_iters)
        ],
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=ckpt_interval,
                            by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[dict(type='SoCoTargetHook')] + list(extra_hooks),
        default_scope='mmsoco',
        randomness=dict(seed=1),
        resume=resume,
        log_level='WARNING')


def test_loss_goes_down(tmp_path, coco_tiny):
    record = RecordLoss()
    runner = make_runner(str(tmp_path), coco_tiny, max_iters=8,
                         extra_hooks=[record], lr=1.0, ckpt_interval=100)
    runner.train()
    first, last = record.losses[:2], record.losses[-2:]
    print('losses', record.losses)
    assert sum(last) < sum(first), record.losses
    model = runner.model
    assert model.momentum == pytest.approx(
        1 - 0.01 * (math.cos(7 / 8 * math.pi) + 1) / 2, abs=1e-9)


def test_loss_goes_down_on_the_real_view_pipeline(tmp_path, coco_tiny):
    """8 coco_tiny images, their selective-search proposals, the 100-epoch
    recipe's view pipeline (224 / 224 / 112, colour, in-box cutout)."""
    from mmengine.config import Config

    from mmsoco.proposals import generate_store
    images = tmp_path / 'images'
    images.mkdir()
    train = osp.join(coco_tiny, 'train2017')
    for name in sorted(os.listdir(train))[:8]:
        os.symlink(osp.join(train, name), images / name)
    generate_store(str(images), str(tmp_path / 'proposals'), workers=1,
                   progress=False)
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'soco_r50_fpn.py'))
    dataset = cfg.train_dataloader.dataset
    dataset.update(data_root=str(images), proposals=str(tmp_path /
                                                        'proposals'))
    record = RecordLoss()
    runner = make_runner(str(tmp_path / 'work'), coco_tiny, max_iters=8,
                         extra_hooks=[record], lr=1.0, ckpt_interval=100,
                         dataset=dataset.to_dict())
    runner.train()
    first, last = record.losses[:2], record.losses[-2:]
    print('losses', record.losses)
    assert sum(last) < sum(first), record.losses


def test_kill_and_resume_matches_uninterrupted_run(tmp_path, coco_tiny):
    straight = make_runner(str(tmp_path / 'straight'), coco_tiny, MAX_ITERS)
    straight.train()

    killed_dir = str(tmp_path / 'killed')
    killed = make_runner(killed_dir, coco_tiny, MAX_ITERS,
                         extra_hooks=[CrashAfter(MAX_ITERS // 2)])
    with pytest.raises(Crash):
        killed.train()
    assert osp.isfile(osp.join(killed_dir, f'iter_{MAX_ITERS // 2}.pth'))
    resumed = make_runner(killed_dir, coco_tiny, MAX_ITERS, resume=True)
    resumed.train()
    assert resumed.iter == MAX_ITERS

    expected = straight.model.state_dict()
    got = resumed.model.state_dict()
    assert set(got) == set(expected)
    assert any(k.startswith('target.') for k in got)
    for key, value in expected.items():
        assert torch.equal(got[key], value), key
    # the EMA schedule continued from the runner's iteration
    assert resumed.model.momentum == straight.model.momentum
