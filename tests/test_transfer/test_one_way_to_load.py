"""mmsoco weights enter a detector one way: the detector's
``init_cfg=dict(type='mmsoco.TransferPretrained', checkpoint=...)``; no
transfer config also sets ``load_from`` or a backbone ``Pretrained`` init,
and ``load_transfer_weights`` takes an Export, not a second file path."""
import glob
import os.path as osp

import pytest
from mmengine.config import Config
from torch import nn

from mmsoco.transfer import load_transfer_weights

from ..helpers import REPO

CONFIGS = sorted(glob.glob(osp.join(REPO, 'configs', 'transfer', '*.py')))


@pytest.mark.parametrize('path', CONFIGS, ids=osp.basename)
def test_transfer_configs_name_their_weights_once(path):
    cfg = Config.fromfile(path)
    assert cfg.model.init_cfg.type == 'mmsoco.TransferPretrained'
    assert cfg.get('load_from') is None
    assert cfg.model.backbone.get('init_cfg') is None
    shared = cfg.model.roi_head.get('shared_head') or {}
    assert not shared.get('init_cfg') and not shared.get('pretrained')


def test_load_transfer_weights_refuses_a_path():
    with pytest.raises(TypeError, match=r"takes an Export, got str: .*"
                       r"load_export\(path\).*TransferPretrained"):
        load_transfer_weights(nn.Linear(1, 1), 'some/file.pth')
