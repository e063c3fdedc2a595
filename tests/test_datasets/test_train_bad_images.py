"""Training on a folder of good images mixed with bad ones (random bytes, a
truncated JPEG, an image that rots after its proposals were made) runs to
its checkpoint; a run killed and resumed with a replaced sample ends with
the parameters of an uninterrupted run; and more bad images than
max_bad_share stop tools/train.py with one line."""
import os.path as osp
import shutil
import subprocess
import sys

import pytest
from mmengine.runner import Runner

from ..helpers import REPO, assert_same_state_dict, kill_and_resume
from ..soco_tiny import tiny_soco_cfg
from .image_folders import (TEMPLATE, add_bad_files, dataset_cfg,
                            photo_folder, rot)

pytestmark = pytest.mark.usefixtures('one_thread')


@pytest.fixture(scope='module')
def mixed_set(tmp_path_factory):
    """6 photos, random bytes and a truncated JPEG, with their proposals
    made by the proposals tool (which records the 2 bad files)."""
    from mmsoco.proposals import generate_store
    root = tmp_path_factory.mktemp('mixed')
    images = str(root / 'images')
    keys = photo_folder(images)
    bad = add_bad_files(images, keys[0])
    res = generate_store(images, str(root / 'proposals'), progress=False)
    assert sorted(k for k, _ in res.bad) == bad
    return images, str(root / 'proposals'), keys


@pytest.fixture
def rotten_set(mixed_set, tmp_path):
    """A copy of the mixed set in which one image rotted after its store
    was made (same size and mtime: no stat check can see it)."""
    images, store, keys = mixed_set
    copy = str(tmp_path / 'images')
    shutil.copytree(images, copy, copy_function=shutil.copy2)
    rot(osp.join(copy, keys[3]))
    return copy, store, keys


def make_runner(work_dir, images, store, max_iters=3, resume=False,
                num_workers=0, extra_hooks=()):
    return Runner(
        model=tiny_soco_cfg(),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=dataset_cfg(images, store, max_bad_share=0.5),
            sampler=dict(type='SeededInfiniteSampler', shuffle=True),
            collate_fn=dict(type='pseudo_collate'),
            batch_size=2, num_workers=num_workers),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=max_iters),
        optim_wrapper=dict(
            constructor='LARSOptimWrapperConstructor',
            optimizer=dict(type='mmselfsup.LARS', lr=0.5, momentum=0.9,
                           weight_decay=1e-5, eta=0.001)),
        default_hooks=dict(
            checkpoint=dict(type='CheckpointHook', interval=1,
                            by_epoch=False),
            logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[dict(type='MomentumTargetHook'),
                      dict(type='SoCoDataHook')] + list(extra_hooks),
        default_scope='mmsoco', randomness=dict(seed=1), resume=resume,
        log_level='WARNING')


def data_hook(runner):
    return next(h for h in runner.hooks if type(h).__name__ == 'SoCoDataHook')


def test_trains_to_its_checkpoint_on_a_mixed_folder(rotten_set, tmp_path):
    images, store, keys = rotten_set
    work = str(tmp_path / 'work')
    runner = make_runner(work, images, store)
    runner.train()  # 3 iterations x 2 = one pass over the 6 good keys
    assert osp.isfile(osp.join(work, 'iter_3.pth'))
    dataset = runner.train_dataloader.dataset
    assert dataset.num_bad == 2 and len(dataset) == 6
    tally = data_hook(runner).tally
    assert list(tally.failed) == [3] and tally.replaced >= 1
    assert osp.join(images, keys[3]) in tally.failed[3]


def test_exact_resume_with_a_replaced_sample(rotten_set, tmp_path):
    images, store, _ = rotten_set
    straight, resumed = kill_and_resume(
        lambda wd, **o: make_runner(wd, images, store, **o), str(tmp_path), 1)
    assert data_hook(straight).tally.replaced >= 1
    assert resumed.iter == 3
    assert list(data_hook(resumed).tally.failed) == [3]  # after the resume
    assert_same_state_dict(resumed.model, straight.model)


def test_too_many_bad_images_stop_the_run_in_one_line(mixed_set, tmp_path,
                                                      tool_env):
    images, store, keys = mixed_set
    copy = str(tmp_path / 'images')
    shutil.copytree(images, copy, copy_function=shutil.copy2)
    for key in keys[:2]:
        rot(osp.join(copy, key))
    proc = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'train.py'), TEMPLATE,
         '--work-dir', str(tmp_path / 'work'), '--cfg-options',
         f'train_dataloader.dataset.data_root={copy}',
         f'train_dataloader.dataset.proposals={store}',
         'train_dataloader.num_workers=0',
         'train_dataloader.persistent_workers=False',
         'train_dataloader.batch_size=6',  # every image in the first batch
         'train_cfg.max_iters=1'],
        cwd=REPO, env=tool_env, capture_output=True, text=True, timeout=300)
    assert proc.returncode != 0
    last = proc.stderr.strip().splitlines()[-1]
    assert 'Traceback' not in proc.stderr, proc.stderr[-3000:]
    assert last.startswith('error: SoCoDataset: 2 of 6 images (33.3%) '
                           'failed to decode during training'), last
    assert 'max_bad_share=0.05' in last and '--overwrite' in last
    assert osp.join(copy, keys[0]) in proc.stderr + proc.stdout
