"""Export: tiny InsLoc (FPN) and InsLocC4 checkpoints, exported, load into
the Mask R-CNN FPN / C4 transfer configs with zero missing keys in the
transferred modules and equal tensors; the queue, projector and key network
are not exported."""
import pytest

from tests.insloc_tiny import tiny_insloc_cfg
from tests.helpers import (C4_CFG, FPN_CFG, TINY_DET, TINY_DET_C4,
                           assert_transferred, build_detector,
                           save_pretrain_ckpt)


@pytest.fixture(scope='module')
def insloc_ckpt(tmp_path_factory):
    path = tmp_path_factory.mktemp('insloc') / 'iter_3.pth'
    return path, save_pretrain_ckpt(tiny_insloc_cfg(), path)


@pytest.fixture(scope='module')
def insloc_c4_ckpt(tmp_path_factory):
    path = tmp_path_factory.mktemp('insloc_c4') / 'iter_3.pth'
    return path, save_pretrain_ckpt(tiny_insloc_cfg(c4=True), path)


def test_insloc_fpn_export_loads_into_mask_rcnn(insloc_ckpt, tmp_path):
    from mmsoco.transfer import compare, export_checkpoint, save_export
    path, online = insloc_ckpt
    export = export_checkpoint(str(path))
    assert export.arch == 'fpn' and export.model_type == 'InsLoc'
    assert not any(k.startswith(('target', 'projector', 'queue'))
                   for k in export.state_dict)
    dropped = {k.split('.')[0] for k in export.dropped}
    assert dropped == {'projector', 'queue'}
    out = tmp_path / 'insloc_mmdet.pth'
    save_export(export, str(out))
    det = build_detector(FPN_CFG, TINY_DET, str(out))
    det.init_weights()
    n = assert_transferred(det, online, [
        ('backbone.', 'backbone.'), ('neck.', 'neck.'),
        ('bbox_head.shared_convs.', 'roi_head.bbox_head.shared_convs.'),
        ('bbox_head.shared_fcs.0.', 'roi_head.bbox_head.shared_fcs.0.')])
    assert n == len(export.state_dict)
    report = compare(det.state_dict(), export)
    assert report.ok and report.num_loaded == n
    # the key (EMA) network exports under the same names
    target = export_checkpoint(str(path), source='target')
    assert target.state_dict.keys() == export.state_dict.keys()


def test_insloc_c4_export_loads_into_mask_rcnn_c4(insloc_c4_ckpt, tmp_path):
    from mmsoco.transfer import ExportError, export_checkpoint, save_export
    path, online = insloc_c4_ckpt
    export = export_checkpoint(str(path))
    # the saved config's model type is recognised (not reported as '?')
    assert export.arch == 'c4' and export.model_type == 'InsLocC4'
    assert {k.split('.')[0] for k in export.dropped} == {'projector',
                                                         'queue'}
    out = tmp_path / 'insloc_c4_mmdet.pth'
    save_export(export, str(out))
    det = build_detector(C4_CFG, TINY_DET_C4, str(out))
    det.init_weights()
    n = assert_transferred(det, online, [
        ('backbone.', 'backbone.'),
        ('shared_head.layer4.', 'roi_head.shared_head.layer4.')])
    assert n == len(export.state_dict)
    with pytest.raises(ExportError, match=r'C4 checkpoint \(InsLocC4\)'):
        export_checkpoint(str(path), want='fpn')
