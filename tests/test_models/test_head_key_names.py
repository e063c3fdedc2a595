"""The pretrained heads carry the key names (and shapes) of the mmdet
modules they transfer into: Shared4Conv1FCEmbedHead those of mmdet's
Shared4Conv1FCBBoxHead without classifier and regressor; every
algorithm's export map names online modules and lands in a Mask R-CNN's
keys."""
import pytest
import torch

from mmsoco.models.algorithms import InsLoc, InsLocC4, SoCo, SoCoC4
from mmsoco.registry import MODELS

NORM = dict(type='BN', requires_grad=True)


@pytest.mark.parametrize('convs,channels,fc', [(4, 16, 32), (4, 256, 1024)])
def test_embed_head_keys_are_mmdets_shared_4conv1fc_keys(convs, channels,
                                                         fc):
    from mmdet.models.roi_heads.bbox_heads import Shared4Conv1FCBBoxHead
    from mmdet.utils import register_all_modules
    from mmengine.registry import init_default_scope
    ours = MODELS.build(dict(type='Shared4Conv1FCEmbedHead',
                             in_channels=channels, num_convs=convs,
                             conv_out_channels=channels,
                             fc_out_channels=fc, norm_cfg=NORM))
    register_all_modules(init_default_scope=False)
    init_default_scope('mmdet')  # its losses live in mmdet's registry
    theirs = Shared4Conv1FCBBoxHead(in_channels=channels,
                                    conv_out_channels=channels,
                                    fc_out_channels=fc, roi_feat_size=7,
                                    num_classes=80, norm_cfg=NORM)
    mine = {k: tuple(v.shape) for k, v in ours.state_dict().items()}
    shared = {k: tuple(v.shape) for k, v in theirs.state_dict().items()
              if k.startswith(('shared_convs.', 'shared_fcs.'))}
    assert mine == shared
    # only the classifier and regressor are left to the detector
    rest = {k.split('.')[0] for k in theirs.state_dict()} - {
        'shared_convs', 'shared_fcs'}
    assert rest == {'fc_cls', 'fc_reg'}
    assert len(mine) == 4 * 6 + 2  # conv weight + 5 BN tensors, FC w + b


@pytest.mark.parametrize('cls,arch', [(SoCo, 'fpn'), (InsLoc, 'fpn'),
                                      (SoCoC4, 'c4'), (InsLocC4, 'c4')])
def test_every_algorithm_declares_its_export_map(cls, arch):
    emap = cls.export_map()
    assert emap['arch'] == arch and emap['model_type'] == cls.__name__
    assert all(p.split('.')[0] in cls.ONLINE for p in emap['prefixes'])
    assert emap['prefixes']['backbone'] == 'backbone'
    if arch == 'fpn':
        assert emap['prefixes']['bbox_head.shared_fcs.0'] == \
            'roi_head.bbox_head.shared_fcs.0'
    else:
        assert emap['prefixes']['shared_head.layer4'] == \
            'roi_head.shared_head.layer4'


def test_an_export_map_outside_the_online_modules_is_refused():

    class Bad(SoCo):
        EXPORT_MAP = dict(arch='fpn', prefixes={'predictor': 'x'})

    with pytest.raises(ValueError, match=r"Bad.EXPORT_MAP exports "
                       r"\['predictor'\], outside its online modules"):
        Bad.export_map()

    class Worse(SoCo):
        EXPORT_MAP = dict(arch='p6', prefixes={'backbone': 'backbone'})

    with pytest.raises(ValueError, match="arch must be one of"):
        Worse.export_map()


def test_export_map_applies_to_a_state_dict():
    from mmsoco.models.utils.export_map import (FPN_EXPORT_MAP,
                                                apply_export_map, map_key)
    prefixes = FPN_EXPORT_MAP['prefixes']
    assert map_key('bbox_head.shared_fcs.0.weight', prefixes) == \
        'roi_head.bbox_head.shared_fcs.0.weight'
    # a prefix matches whole names only
    assert map_key('necklace.weight', prefixes) is None
    assert map_key('bbox_head.shared_fcs.1.weight', prefixes) is None
    out, dropped = apply_export_map(
        {'neck.a': torch.zeros(1), 'projector.b': torch.ones(1)}, prefixes)
    assert list(out) == ['neck.a'] and dropped == ['projector.b']
