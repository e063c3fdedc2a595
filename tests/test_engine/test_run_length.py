"""The run length drives the whole schedule: --iters / --epochs rescale it,
and a config (or --cfg-options) that changes train_cfg's length stretches
the shipped LR schedules with it."""
import os.path as osp

import pytest
import torch

from ..helpers import REPO, last_cosine_step

SOCO = osp.join(REPO, 'configs/soco_r50_fpn.py')
SOCO_DEMO = osp.join(REPO, 'configs/soco_r18_fpn_1xb4-12iter_demo.py')
INSLOC = osp.join(REPO, 'configs/insloc_r50_fpn_8xb32-200e_in1k.py')


def load(path):
    from mmengine.config import Config
    return Config.fromfile(path)


def lr_trace(schedulers, steps, epoch_length=1, base_lr=1.0):
    """LR of each of ``steps`` iterations, and the LR after the last one,
    with the schedulers built the way the Runner builds them."""
    import copy

    from mmengine.optim import OptimWrapper

    from mmsoco.registry import PARAM_SCHEDULERS
    param = torch.nn.Parameter(torch.zeros(1))
    wrapper = OptimWrapper(torch.optim.SGD([param], lr=base_lr))
    built = []
    for cfg in copy.deepcopy(list(schedulers)):
        if cfg.get('convert_to_iter_based'):
            cfg['epoch_length'] = epoch_length
        built.append(PARAM_SCHEDULERS.build(
            cfg, default_args=dict(optimizer=wrapper)))
    lrs = []
    for _ in range(steps):
        lrs.append(wrapper.param_groups[0]['lr'])
        wrapper.step()
        for s in built:
            s.step()
    return lrs, wrapper.param_groups[0]['lr']


def test_iters_rescales_the_shipped_soco_schedule():
    from mmsoco.engine.run_length import set_run_length
    cfg = load(SOCO)  # 100 epochs: 10 warm-up, cosine to 1e-6
    set_run_length(cfg, iters=40)
    warm, cos = cfg.param_scheduler
    assert (warm.type, warm.begin, warm.end, warm.by_epoch) == \
        ('LinearLR', 0, 4, False)
    assert (cos.begin, cos.end, cos.T_max) == (4, 40, 36)
    lrs, after = lr_trace(cfg.param_scheduler, 40)
    assert lrs[0] == pytest.approx(0.01)  # warm-up from LR / 100
    assert lrs[4] == pytest.approx(1.0)
    assert lrs[-1] == after == pytest.approx(last_cosine_step(36))
    cfg = load(SOCO)
    set_run_length(cfg, iters=10)
    assert cfg.train_cfg == dict(type='IterBasedTrainLoop', max_iters=10)
    # a 1-iteration warm-up is dropped (mmengine's LinearLR would leave the
    # LR at LR / 100 for good)
    (cos, ) = cfg.param_scheduler
    assert (cos.type, cos.begin, cos.end, cos.T_max, cos.by_epoch) == \
        ('CosineAnnealingLR', 1, 10, 9, False)
    assert 'convert_to_iter_based' not in cos
    ckpt = cfg.default_hooks.checkpoint
    assert ckpt.by_epoch is False and 1 <= ckpt.interval <= 10
    assert cfg.default_hooks.logger.interval == 1
    assert cfg.log_processor.by_epoch is False
    lrs, after = lr_trace(cfg.param_scheduler, 10)
    assert lrs[0] == lrs[1] == pytest.approx(1.0)
    # the last iteration is the cosine's last step (3 % of the peak, not
    # 0.88 of it as with the 100-epoch cosine), and nothing follows it
    assert lrs[-1] == after == pytest.approx(last_cosine_step(9))
    assert lrs[-1] < 0.035


def test_cfg_options_length_stretches_the_demo_schedule():
    """--cfg-options train_cfg.max_iters=10 ends the LR schedule at 10."""
    from mmsoco.engine.run_length import fit_schedule_to_run
    cfg = load(SOCO_DEMO)  # written for 12 iterations, warm-up 2
    cfg.merge_from_dict({'train_cfg.max_iters': 10})
    before = lr_trace(cfg.param_scheduler, 10)[1]
    assert before > 0.09  # as written, the cosine is 2 steps from its end
    assert 'stretched' in fit_schedule_to_run(cfg)
    warm, cos = cfg.param_scheduler
    assert (warm.end, cos.begin, cos.end, cos.T_max) == (2, 2, 10, 8)
    lrs, after = lr_trace(cfg.param_scheduler, 10)
    assert lrs[-1] == after == pytest.approx(last_cosine_step(8))
    assert fit_schedule_to_run(cfg) is None  # already fits


def test_a_child_config_changing_the_length_changes_the_schedule(tmp_path):
    from mmsoco.engine.run_length import fit_schedule_to_run
    child = tmp_path / 'child.py'
    child.write_text(
        f'_base_ = [{SOCO!r}]\n'
        "train_cfg = dict(_delete_=True, type='IterBasedTrainLoop', "
        'max_iters=30)\n')
    cfg = load(str(child))
    fit_schedule_to_run(cfg)
    warm, cos = cfg.param_scheduler
    assert (warm.end, cos.begin, cos.end, cos.T_max) == (3, 3, 30, 27)
    assert not cos.by_epoch and 'convert_to_iter_based' not in cos
    assert lr_trace(cfg.param_scheduler, 30)[1] == \
        pytest.approx(last_cosine_step(27))
    # a config that opts out keeps its schedule as written
    cfg = load(str(child))
    cfg.schedule_follows_length = False
    assert fit_schedule_to_run(cfg) is None
    assert cfg.param_scheduler[1].end == 100


@pytest.mark.parametrize('name,expected', [
    # warm-up over the first tenth from LR / 100, cosine to 1e-6
    ('soco_r18_fpn_mini-world.py', [(0, 30, None), (30, 300, 270)]),
    # cosine to 0 over the whole run
    ('insloc_r18_fpn_mini-world.py', [(0, 300, 300)]),
])
def test_mini_world_configs_run_their_schedule_over_300_iterations(
        name, expected):
    """The mini-world configs change only the length of the templates they
    build on: the schedule they run is the template's, at 300 iterations,
    and the checkpoints fall at each quarter."""
    from mmsoco.engine.run_length import fit_schedule_to_run
    cfg = load(osp.join(REPO, 'configs', name))
    fit_schedule_to_run(cfg)
    assert cfg.train_cfg.max_iters == 300
    assert [(s.begin, s.end, s.get('T_max')) for s in cfg.param_scheduler
            ] == expected
    assert not any(s.by_epoch for s in cfg.param_scheduler)
    assert cfg.default_hooks.checkpoint.interval == 75
    assert cfg.default_hooks.checkpoint.max_keep_ckpts == 4


def test_epochs_on_an_iteration_config_counts_passes():
    """--epochs on the demo: fractional-epoch warm-up stepped per
    iteration, and an endless sampler swapped for its per-pass twin."""
    from mmsoco.engine.run_length import set_run_length
    cfg = load(SOCO_DEMO)
    set_run_length(cfg, epochs=3)
    assert cfg.train_cfg == dict(type='EpochBasedTrainLoop', max_epochs=3)
    assert cfg.train_dataloader.sampler.type == 'SeededDefaultSampler'
    warm, cos = cfg.param_scheduler
    assert warm.by_epoch and warm.convert_to_iter_based
    assert warm.end == pytest.approx(0.5) and cos.end == 3
    assert cfg.default_hooks.checkpoint.by_epoch is True
    lrs, after = lr_trace(cfg.param_scheduler, 3 * 4, epoch_length=4)
    assert lrs[0] == pytest.approx(0.01)
    assert after == pytest.approx(last_cosine_step(10))  # 2.5 epochs x 4


def test_per_epoch_schedule_stays_per_epoch():
    from mmsoco.engine.run_length import set_run_length
    cfg = load(INSLOC)  # per-epoch cosine over 200 epochs
    set_run_length(cfg, epochs=4)
    (cos, ) = cfg.param_scheduler
    assert (cos.T_max, cos.begin, cos.end, cos.by_epoch) == (4, 0, 4, True)
    assert 'convert_to_iter_based' not in cos
    assert cfg.default_hooks.checkpoint.interval == 1  # 40 saves -> 20 max


def test_length_errors_are_one_line():
    from mmsoco.engine.run_length import (ScheduleError, run_length,
                                          set_run_length)
    cfg = load(SOCO)
    cfg.train_cfg.max_iters = 5  # merged into the epoch loop of the base
    with pytest.raises(ScheduleError, match='both max_epochs and max_iters'):
        run_length(cfg)
    cfg = load(SOCO_DEMO)
    cfg.train_dataloader.sampler.type = 'MyInfiniteSampler'
    with pytest.raises(ScheduleError, match='--iters N'):
        set_run_length(cfg, epochs=2)
    with pytest.raises(ScheduleError, match='at least 1'):
        set_run_length(load(SOCO), iters=0)
