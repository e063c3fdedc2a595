"""mmsoco.utils.config_values: counts and run lengths out of range, and
depths a ResNet does not have, refused naming the key."""
import pytest
from mmengine.config import Config

import mmsoco  # noqa: F401
from mmsoco.utils.config_values import ConfigValueError, check_config_values


def cfg(**overrides):
    base = dict(default_scope='mmsoco',
                model=dict(type='SoCo',
                           backbone=dict(type='mmdet.ResNet', depth=18)),
                train_dataloader=dict(batch_size=4, num_workers=2),
                train_cfg=dict(type='IterBasedTrainLoop', max_iters=10))
    config = Config(base)
    config.merge_from_dict(overrides)
    return config


def test_valid_values_pass():
    check_config_values(cfg())
    check_config_values(cfg(**{'train_dataloader.num_workers': 0}))


@pytest.mark.parametrize('key, value, needle', [
    ('train_dataloader.batch_size', 'abc', "'abc' is not a whole number"),
    ('train_dataloader.batch_size', 0, '0 is not at least 1'),
    ('train_dataloader.batch_size', 2.5, 'not a whole number'),
    ('train_dataloader.num_workers', -1, '-1 is not at least 0'),
    ('train_cfg.max_iters', 0, '0 is not at least 1'),
    ('model.backbone.depth', 19, 'has no depth 19; valid: 18, 34, 50'),
])
def test_bad_values_name_the_key(key, value, needle):
    with pytest.raises(ConfigValueError) as info:
        check_config_values(cfg(**{key: value}))
    assert str(info.value).startswith(f'config key {key}: ')
    assert needle in str(info.value)


def test_max_epochs_zero():
    config = cfg()
    config.train_cfg = dict(type='EpochBasedTrainLoop', max_epochs=0)
    with pytest.raises(ConfigValueError, match='train_cfg.max_epochs'):
        check_config_values(config)
