"""Config typos are named in one line with the closest valid names; every
shipped config passes the check (it refuses only what mmengine would)."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config

from ..helpers import REPO

SHIPPED = sorted(glob.glob(osp.join(REPO, 'configs', '*.py')) +
                 glob.glob(osp.join(REPO, 'configs', 'transfer', '*.py')))


@pytest.mark.parametrize('path', SHIPPED, ids=osp.basename)
def test_shipped_configs_pass(path):
    from mmsoco.utils.config_check import check_config
    check_config(Config.fromfile(path))


@pytest.mark.parametrize('edit, message', [
    ({'model.backbone.dept': 18},
     "config key model.backbone.dept: mmdet.ResNet has no argument 'dept'; "
     'closest: depth'),
    ({'train_dataloader.dataset.data_rot': 'x'},
     "config key train_dataloader.dataset.data_rot: SoCoDataset has no "
     "argument 'data_rot'; closest: data_root"),
    ({'train_dataloader.num_worker': 2},
     "config key train_dataloader.num_worker: a dataloader has no argument "
     "'num_worker'; closest: num_workers"),
    ({'train_dataloader.sampler.type': 'SeededInfinitSampler'},
     "config key train_dataloader.sampler.type: 'SeededInfinitSampler' is "
     'not a registered data sampler; closest: SeededInfiniteSampler'),
    ({'default_hooks.logger.intervall': 2},
     "config key default_hooks.logger.intervall: LoggerHook has no argument "
     "'intervall'; closest: interval"),
    ({'param_scheduler.1.eta_mn': 0.},
     "config key param_scheduler[1].eta_mn: CosineAnnealingLR has no "
     "argument 'eta_mn'; closest: eta_min"),
    ({'optim_wrapper.optimizer.type': 'mmselfsup.LAR'},
     "config key optim_wrapper.optimizer.type: 'mmselfsup.LAR' is not a "
     'registered optimizer; closest: mmselfsup.LARS'),
])
def test_typos_are_named(edit, message):
    from mmsoco.utils.config_check import ConfigKeyError, check_config
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/soco_r18_fpn_1xb4-12iter_demo.py'))
    cfg.merge_from_dict(edit)
    with pytest.raises(ConfigKeyError) as info:
        check_config(cfg)
    assert str(info.value).startswith(message), str(info.value)


def test_errors_raised_while_building_are_translated():
    """What the static check cannot see (a **kwargs it does not follow)
    fails in mmengine's build; that error becomes the same one line."""
    from mmsoco.registry import MODELS
    from mmsoco.utils.build_errors import build_error_message
    from mmsoco.utils.config_check import check_config

    @MODELS.register_module(force=True)
    class OpaqueKwargs:  # takes **kwargs, and reads them its own way

        def __init__(self, width=1, **kwargs):
            self.options = dict(kwargs)
            extra = sorted(set(self.options) - {'depth'})
            if extra:
                raise TypeError('OpaqueKwargs.__init__() got an unexpected '
                                f'keyword argument {extra[0]!r}')

    cfg = Config(dict(default_scope='mmsoco', model=dict(
        type='SoCo', backbone=dict(type='OpaqueKwargs', widht=2))))
    check_config(Config(dict(default_scope='mmsoco', model=dict(
        type='OpaqueKwargs', widht=2))))  # passes: cannot know
    with pytest.raises(TypeError) as info:
        MODELS.build(dict(type='OpaqueKwargs', widht=2))
    assert build_error_message(info.value, cfg) == (
        "config key model.backbone.widht: OpaqueKwargs has no argument "
        "'widht'; closest: width")
    with pytest.raises(KeyError) as info:
        MODELS.build(dict(type='OpaqueKwarg'))
    cfg.model.backbone.type = 'OpaqueKwarg'
    assert build_error_message(info.value, cfg).startswith(
        "config key model.backbone.type: 'OpaqueKwarg' is not a registered "
        'model; closest: OpaqueKwargs')
    assert build_error_message(KeyError('state_dict'), cfg) is None
    assert build_error_message(TypeError('unsupported operand'), cfg) is None


def test_cfg_options_on_top_level_variables():
    from mmsoco.utils.cfg_options import check_cfg_options
    from mmsoco.utils.config_check import ConfigKeyError
    cfg = Config.fromfile(
        osp.join(REPO, 'configs/soco_r18_fpn_1xb4-12iter_demo.py'))
    with pytest.raises(ConfigKeyError, match=r"'max_iters' is a variable .*"
                       r'drives nothing: set train_cfg.max_iters instead, '
                       r'or use tools/train.py --iters N'):
        check_cfg_options(cfg, ['max_iters'])
    with pytest.raises(ConfigKeyError, match='train_dataloader.dataset.'
                       'data_root instead'):
        check_cfg_options(cfg, ['data_root'])
    # given with every key it fed, the variable is only redundant
    check_cfg_options(cfg, ['data_root', 'train_dataloader.dataset.data_root',
                            'train_cfg.max_iters', 'use_amp'])
