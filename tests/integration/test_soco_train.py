"""SoCo trained by mmengine's Runner on the CPU on real photos (the
``photo_folder`` fixture):
the loss goes down (with the real view pipeline and proposals, and with a
deterministic in-test dataset), and a run killed half-way and resumed ends
with the same parameters (target network included) as an uninterrupted run,
both on the in-test dataset and on the real view pipeline.

The real pipeline replays after a resume because the seeded samplers tag
each index with (seed, epoch) and SoCoDataset seeds every view transform
from (seed, epoch, index): the views do not depend on the process, the
worker count or the run's history (tests/test_datasets/test_view_seed.py)."""
import math
import os
import os.path as osp

import pytest
import torch
from mmengine.runner import Runner

import mmsoco  # noqa: F401

from ..helpers import (REPO, Crash, CrashAfter, RecordLoss,
                       assert_same_state_dict, kill_and_resume)
from ..soco_tiny import PackedSoCoToyDataset, tiny_soco_cfg

MAX_ITERS = 6


pytestmark = pytest.mark.usefixtures('one_thread')


def make_runner(work_dir: str, image_dir: str, max_iters: int,
                resume: bool = False, extra_hooks=(), lr: float = 0.2,
                ckpt_interval: int = MAX_ITERS // 2,
                dataset=None, sampler='InfiniteSampler', num_workers: int = 0,
                by_epoch: bool = False, iters_per_epoch: int = 0,
                batch_size: int = 4) -> Runner:
    """Iteration-based runs; with ``by_epoch`` an epoch-based loop of
    ``max_iters // iters_per_epoch`` epochs, checkpointed every epoch."""
    if dataset is None:
        dataset = PackedSoCoToyDataset(image_dir, num_images=8)
    if by_epoch:
        train_cfg = dict(type='EpochBasedTrainLoop',
                         max_epochs=max_iters // iters_per_epoch)
        checkpoint = dict(type='CheckpointHook', interval=1)
    else:
        train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
        checkpoint = dict(type='CheckpointHook', interval=ckpt_interval,
                          by_epoch=False)
    return Runner(
        model=tiny_soco_cfg(),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=dataset,
            sampler=dict(type=sampler, shuffle=True),
            batch_size=batch_size,
            num_workers=num_workers),
        train_cfg=train_cfg,
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
            checkpoint=checkpoint,
            logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[dict(type='MomentumTargetHook'),
                      dict(type='SoCoDataHook')] + list(extra_hooks),
        default_scope='mmsoco',
        randomness=dict(seed=1),
        resume=resume,
        log_level='WARNING')


@pytest.fixture(scope='module')
def real_set(photo_folder, tmp_path_factory):
    """8 real photos and their selective-search proposals."""
    from mmsoco.proposals import generate_store
    root = tmp_path_factory.mktemp('soco_real')
    images = root / 'images'
    images.mkdir()
    train = photo_folder
    for name in sorted(os.listdir(train))[:8]:
        os.symlink(osp.join(train, name), images / name)
    generate_store(str(images), str(root / 'proposals'), workers=1,
                   progress=False)
    return str(images), str(root / 'proposals')


def real_dataset(real_set, **kw) -> dict:
    """SoCoDataset with the 100-epoch recipe's view pipeline (224 / 224 /
    112, colour, in-box cutout)."""
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(REPO, 'configs', 'soco_r50_fpn.py'))
    dataset = cfg.train_dataloader.dataset
    dataset.update(data_root=real_set[0], proposals=real_set[1], **kw)
    return dataset.to_dict()


def test_loss_goes_down(tmp_path, photo_folder):
    record = RecordLoss()
    runner = make_runner(str(tmp_path), photo_folder, max_iters=8,
                         extra_hooks=[record], lr=1.0, ckpt_interval=100)
    runner.train()
    first, last = record.losses[:2], record.losses[-2:]
    print('losses', record.losses)
    assert sum(last) < sum(first), record.losses
    model = runner.model
    assert model.momentum == pytest.approx(
        1 - 0.01 * (math.cos(7 / 8 * math.pi) + 1) / 2, abs=1e-9)


def test_loss_goes_down_on_the_real_view_pipeline(tmp_path, photo_folder,
                                                  real_set):
    """8 real photos, their selective-search proposals, the 100-epoch
    recipe's view pipeline (224 / 224 / 112, colour, in-box cutout)."""
    record = RecordLoss()
    runner = make_runner(str(tmp_path / 'work'), photo_folder, max_iters=8,
                         extra_hooks=[record], lr=1.0, ckpt_interval=100,
                         dataset=real_dataset(real_set),
                         sampler='SeededInfiniteSampler')
    runner.train()
    first, last = record.losses[:2], record.losses[-2:]
    print('losses', record.losses)
    assert sum(last) < sum(first), record.losses


def test_kill_and_resume_matches_uninterrupted_run(tmp_path, photo_folder):
    straight = make_runner(str(tmp_path / 'straight'), photo_folder, MAX_ITERS)
    straight.train()

    killed_dir = str(tmp_path / 'killed')
    killed = make_runner(killed_dir, photo_folder, MAX_ITERS,
                         extra_hooks=[CrashAfter(MAX_ITERS // 2)])
    with pytest.raises(Crash):
        killed.train()
    assert osp.isfile(osp.join(killed_dir, f'iter_{MAX_ITERS // 2}.pth'))
    resumed = make_runner(killed_dir, photo_folder, MAX_ITERS, resume=True)
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


def assert_same_state(got_runner, expected_runner):
    assert_same_state_dict(got_runner.model, expected_runner.model)
    assert any(k.startswith('target.') for k in got_runner.model.state_dict())
    assert got_runner.model.momentum == expected_runner.model.momentum


@pytest.mark.parametrize('loop', ['epoch', 'iter'])
def test_kill_and_resume_on_the_real_view_pipeline(tmp_path, photo_folder,
                                                   real_set, loop):
    """SoCoDataset + the recipe's views on 4 of the images. 'epoch':
    SeededDefaultSampler, batch 4, 3 epochs of one iteration, killed after
    epoch 1. 'iter': SeededInfiniteSampler, batch 2 (a pass is 2
    iterations), 3 iterations, killed after 1, in the middle of the first
    pass. The resumed part runs with 2 dataloader workers, the uninterrupted
    run with none: same parameters, target network included."""
    kw = dict(dataset=real_dataset(real_set, indices=4))
    if loop == 'epoch':
        kw.update(sampler='SeededDefaultSampler', by_epoch=True,
                  iters_per_epoch=1)
        ckpt = 'epoch_1.pth'
    else:
        kw.update(sampler='SeededInfiniteSampler', ckpt_interval=1,
                  batch_size=2)
        ckpt = 'iter_1.pth'
    max_iters, at = 3, 1
    straight, resumed = kill_and_resume(
        lambda wd, **o: make_runner(wd, photo_folder, max_iters, **kw, **o),
        str(tmp_path), at, ckpt)
    assert straight.iter == max_iters and resumed.iter == max_iters
    assert_same_state(resumed, straight)
