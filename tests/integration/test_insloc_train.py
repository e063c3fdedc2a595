"""InsLoc trained by mmengine's Runner on the CPU on real photos (the
``more_photos`` fixture)
through the registered composite pipeline (InsLocDataset, LoadImageRGB,
InsLocCopyPaste, MoCo-v2 colour, ViewBoxRandomFlip, PackInsLocInputs,
MultiViewDataPreprocessor) with a tiny ResNet-18 FPN: the loss goes down, the
queue fills with keys, and a queue shorter than the global batch stops the
run before the first step."""
import math
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import mmsoco  # noqa: F401
from mmsoco.engine.hooks import QueueTooShortError

from ..helpers import (REPO, RecordLoss, assert_same_state_dict,
                       kill_and_resume)
from ..insloc_tiny import tiny_insloc_cfg

# 32 images, batch 4, queue 16: the queue holds the last 4 batches' keys,
# rarely one of the same image
NUM_IMAGES = 32
QUEUE = 16
BATCH = 4
ITERS = 14
LR = 0.03          # the recipe's LR (per 256 images; unscaled here)
MOMENTUM = 0.9     # a faster key network than 0.999, for a 14-step run
CANVAS = 128



def image_folder(photos: str, dst, num: int = NUM_IMAGES) -> str:
    dst.mkdir()
    train = photos
    for name in sorted(os.listdir(train))[:num]:
        os.symlink(osp.join(train, name), dst / name)
    return str(dst)


def make_runner(work_dir: str, data_root: str, max_iters: int,
                queue_len: int = QUEUE, extra_hooks=(), lr: float = LR,
                canvas: int = CANVAS, momentum: float = MOMENTUM,
                sampler: str = 'InfiniteSampler', batch_size: int = BATCH,
                num_workers: int = 0, resume: bool = False,
                ckpt_interval: int = 1000,
                iters_per_epoch: int = 0) -> Runner:
    """The 200-epoch config's dataset and pipeline on ``data_root``, with
    ``canvas`` x ``canvas`` composites (foreground sides in
    [canvas / 2, canvas), as 128-255 on the recipe's 256) to save time.
    Iteration-based, or with ``iters_per_epoch`` an epoch-based loop of
    ``max_iters // iters_per_epoch`` epochs checkpointed every epoch."""
    cfg = Config.fromfile(osp.join(REPO, 'configs',
                                   'insloc_r50_fpn_8xb32-200e_in1k.py'))
    dataset = cfg.train_dataloader.dataset
    dataset.update(data_root=data_root)
    copy_paste = dataset.pipeline[1]
    assert copy_paste.type == 'InsLocCopyPaste'
    copy_paste.update(canvas=canvas, fore_range=(canvas // 2, canvas))
    if iters_per_epoch:
        train_cfg = dict(type='EpochBasedTrainLoop',
                         max_epochs=max_iters // iters_per_epoch)
        checkpoint = dict(type='CheckpointHook', interval=1)
    else:
        train_cfg = dict(type='IterBasedTrainLoop', max_iters=max_iters)
        checkpoint = dict(type='CheckpointHook', interval=ckpt_interval,
                          by_epoch=False)
    return Runner(
        model=tiny_insloc_cfg(queue_len=queue_len, momentum=momentum),
        work_dir=work_dir,
        train_dataloader=dict(
            dataset=dataset.to_dict(),
            sampler=dict(type=sampler, shuffle=True),
            collate_fn=dict(type='pseudo_collate'),
            batch_size=batch_size,
            num_workers=num_workers),
        train_cfg=train_cfg,
        optim_wrapper=dict(optimizer=dict(
            type='SGD', lr=lr, momentum=0.9, weight_decay=1e-4,
            nesterov=True)),
        default_hooks=dict(
            checkpoint=checkpoint,
            logger=dict(type='LoggerHook', interval=1)),
        custom_hooks=[*cfg.custom_hooks, *extra_hooks],
        default_scope='mmsoco',
        randomness=dict(seed=0),
        resume=resume,
        log_level='WARNING')


def test_config_pipeline_to_model_inputs(tmp_path, more_photos):
    """InsLocDataset with the config's pipeline (backgrounds read from
    bg_paths) -> pseudo_collate -> MultiViewDataPreprocessor."""
    from mmengine.dataset import pseudo_collate
    from mmengine.registry import init_default_scope

    from mmsoco.registry import DATASETS, MODELS
    init_default_scope('mmsoco')
    data_root = image_folder(more_photos, tmp_path / 'images')
    cfg = Config.fromfile(osp.join(REPO, 'configs',
                                   'insloc_r50_fpn_8xb32-200e_in1k.py'))
    cfg.train_dataloader.dataset.update(data_root=data_root)
    ds = DATASETS.build(cfg.train_dataloader.dataset)
    assert len(ds) == NUM_IMAGES
    items = [ds[i] for i in range(BATCH)]
    for item in items:
        meta = item['data_samples'].metainfo
        assert len(meta['bg_paths']) == 2
        assert meta['img_path'] not in meta['bg_paths']
        assert all(osp.dirname(p) == data_root for p in meta['bg_paths'])
        boxes = item['data_samples'].view_boxes
        assert boxes.shape == (2, 4) and boxes.dtype == torch.float32
        assert (boxes >= 0).all() and (boxes <= 256).all()
        sides = boxes[:, 2:] - boxes[:, :2]
        assert (sides >= 1).all() and (sides.max(1).values >= 128).all()
        assert (sides < 255).all()
    pre = MODELS.build(dict(type='MultiViewDataPreprocessor'))
    data = pre(pseudo_collate(items), True)
    assert [tuple(v.shape) for v in data['inputs']] == [(BATCH, 3, 256,
                                                         256)] * 2
    for view in data['inputs']:
        assert view.dtype == torch.float32
        assert -3 < view.mean().item() < 3 and view.std().item() > 0.3
    # query and key are different composites of the same images
    assert not torch.equal(data['inputs'][0], data['inputs'][1])


def test_loss_goes_down_on_real_composites(tmp_path, more_photos):
    """MoCo's loss first climbs while the queue's random initial keys (easy
    negatives) are replaced by real keys (4 steps here), then falls as the
    networks learn; untrained (LR 0) it stays near or above chance,
    4 x log(1 + 16) = 11.3. Compared: steps 5-8 (queue all real keys) and
    the last 4."""
    data_root = image_folder(more_photos, tmp_path / 'images')
    record = RecordLoss()
    runner = make_runner(str(tmp_path / 'work'), data_root, ITERS,
                         extra_hooks=[record])
    initial_queue = runner.model.queue.queue.clone()
    runner.train()
    losses = record.losses
    print('losses', [round(v, 3) for v in losses])
    assert len(losses) == ITERS and torch.isfinite(torch.tensor(losses)).all()
    first, last = losses[4:8], losses[-4:]
    assert sum(last) / 4 < sum(first) / 4 - 0.5, losses
    assert max(last) < 4 * math.log(1 + QUEUE), losses
    model = runner.model
    assert int(model.queue.ptr) == ITERS * BATCH % QUEUE
    # every slot of every level's queue now holds a key (L2-normalised)
    assert (model.queue.queue != initial_queue).any(dim=2).all()
    assert torch.allclose(model.queue.queue.norm(dim=2),
                          torch.ones(4, QUEUE), atol=1e-5)


def test_queue_shorter_than_global_batch_stops_before_training(tmp_path,
                                                               more_photos):
    data_root = image_folder(more_photos, tmp_path / 'images')
    record = RecordLoss()
    runner = make_runner(str(tmp_path / 'work'), data_root, 2, queue_len=3,
                         extra_hooks=[record])
    with pytest.raises(QueueTooShortError) as err:
        runner.train()
    assert str(err.value) == (
        'InsLoc: queue_len=3 is shorter than the global batch 4 '
        '(batch per GPU x GPUs): each step enqueues the whole batch of '
        'keys; set model.queue_len >= 4 or use a smaller batch')
    assert record.losses == []


@pytest.mark.parametrize('loop', ['epoch', 'iter'])
def test_kill_and_resume_replays_the_composites(tmp_path, more_photos, loop):
    """InsLoc resumes exactly like SoCo. The config's pipeline on 4 images
    (64-pixel composites), the seeded samplers: 'epoch': batch 4, 3 epochs
    of one iteration, killed after epoch 1; 'iter': batch 2 (a pass is 2
    iterations), 3 iterations, killed after 1, in the middle of a pass. The
    resumed part runs with 2 dataloader workers, the uninterrupted run with
    none: backgrounds, composites, colour, flips, the box augmentation and
    the queue replay, so both runs end with the same parameters, key
    network and queue."""
    data_root = image_folder(more_photos, tmp_path / 'images', num=4)
    kw = dict(canvas=64, lr=0.1)
    if loop == 'epoch':
        kw.update(sampler='SeededDefaultSampler', iters_per_epoch=1)
        ckpt = 'epoch_1.pth'
    else:
        kw.update(sampler='SeededInfiniteSampler', ckpt_interval=1,
                  batch_size=2)
        ckpt = 'iter_1.pth'
    max_iters, at = 3, 1
    initial = {}
    straight, resumed = kill_and_resume(
        lambda wd, **o: make_runner(wd, data_root, max_iters, **kw, **o),
        str(tmp_path), at, ckpt, before_train=lambda r: initial.update(
            queue=r.model.queue.queue.clone()))
    initial_queue = initial['queue']
    assert straight.iter == max_iters and resumed.iter == max_iters
    assert_same_state_dict(resumed.model, straight.model)
    queue = resumed.model.queue
    assert torch.equal(queue.queue, straight.model.queue.queue)
    assert int(queue.ptr) == max_iters * kw.get('batch_size', BATCH) % QUEUE
    assert (queue.queue != initial_queue).any(dim=2).sum() == \
        max_iters * kw.get('batch_size', BATCH) * 4  # keys on 4 levels
    assert any(k.startswith('target.') for k in resumed.model.state_dict())
