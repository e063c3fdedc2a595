"""Export: a freshly built SoCo / SoCoC4 checkpoint, exported, loads into the
Mask R-CNN transfer configs with zero missing keys in the transferred
modules and equal tensors; bad inputs are refused with clear messages."""
import copy
import os.path as osp
import pickle
import subprocess
import sys

import pytest
import torch

from tests.helpers import (C4_CFG, FPN_CFG, REPO, TINY_DET, TINY_DET_C4,
                           assert_transferred, build_detector,
                           save_pretrain_ckpt)
from tests.soco_tiny import TINY_SOCO_C4, tiny_soco_cfg

@pytest.fixture(scope='module')
def soco_ckpt(tmp_path_factory):
    path = tmp_path_factory.mktemp('soco') / 'iter_3.pth'
    model = save_pretrain_ckpt(tiny_soco_cfg(), path)
    return path, model


@pytest.fixture(scope='module')
def c4_ckpt(tmp_path_factory):
    path = tmp_path_factory.mktemp('c4') / 'iter_3.pth'
    model = save_pretrain_ckpt(TINY_SOCO_C4, path)
    return path, model


def test_fpn_export_loads_into_mask_rcnn(soco_ckpt, tmp_path):
    from mmsoco.transfer import export_checkpoint, save_export
    path, online = soco_ckpt
    export = export_checkpoint(str(path))
    assert export.arch == 'fpn' and export.model_type == 'SoCo'
    assert not any(k.startswith(('target', 'projector', 'predictor'))
                   for k in export.state_dict)
    assert any(k.startswith('projector.') for k in export.dropped)
    out = tmp_path / 'soco_mmdet.pth'
    save_export(export, str(out))
    det = build_detector(FPN_CFG, TINY_DET, str(out))
    det.init_weights()
    n = assert_transferred(det, online, [
        ('backbone.', 'backbone.'), ('neck.', 'neck.'),
        ('bbox_head.shared_convs.', 'roi_head.bbox_head.shared_convs.'),
        ('bbox_head.shared_fcs.0.', 'roi_head.bbox_head.shared_fcs.0.')])
    assert n == len(export.state_dict)
    # the target (EMA) network is a different export
    target = export_checkpoint(str(path), source='target')
    assert target.state_dict.keys() == export.state_dict.keys()


def test_raw_checkpoint_loads_directly(soco_ckpt):
    from mmsoco.transfer import compare, export_checkpoint
    path, online = soco_ckpt
    det = build_detector(FPN_CFG, TINY_DET, str(path))
    det.init_weights()
    report = compare(det.state_dict(), export_checkpoint(str(path)))
    assert report.ok and report.num_loaded > 100
    torch.testing.assert_close(det.backbone.conv1.weight,
                               online.backbone.conv1.weight)


def test_c4_export_loads_into_mask_rcnn_c4(c4_ckpt, tmp_path):
    from mmsoco.transfer import export_checkpoint, save_export
    path, online = c4_ckpt
    export = export_checkpoint(str(path))
    assert export.arch == 'c4' and export.model_type == 'SoCoC4'
    out = tmp_path / 'c4_mmdet.pth'
    save_export(export, str(out))
    det = build_detector(C4_CFG, TINY_DET_C4, str(out))
    det.init_weights()
    n = assert_transferred(det, online, [
        ('backbone.', 'backbone.'),
        ('shared_head.layer4.', 'roi_head.shared_head.layer4.')])
    assert n == len(export.state_dict)
    # the protocol's extra norm after res5 exists and is fresh (BN init)
    norm = det.roi_head.shared_head.norm
    assert norm.weight.shape == (512, )
    assert torch.all(norm.weight == 1) and torch.all(norm.bias == 0)


def test_c4_checkpoint_refused_for_fpn(c4_ckpt, tmp_path):
    from mmsoco.transfer import ExportError, export_checkpoint
    path, _ = c4_ckpt
    with pytest.raises(ExportError, match='C4 checkpoint.*no FPN weights'):
        export_checkpoint(str(path), want='fpn')
    with pytest.raises(ExportError, match='C4 checkpoint'):
        build_detector(FPN_CFG, TINY_DET, str(path)).init_weights()


def test_2fc_head_mismatch_names_modules(soco_ckpt):
    from mmsoco.transfer import TransferMismatchError
    path, _ = soco_ckpt
    overrides = copy.deepcopy(TINY_DET)
    overrides['roi_head']['bbox_head'] = dict(
        _delete_=True, type='Shared2FCBBoxHead', in_channels=16,
        fc_out_channels=32, num_classes=80, roi_feat_size=7,
        bbox_coder=dict(type='DeltaXYWHBBoxCoder',
                        target_means=[0., 0., 0., 0.],
                        target_stds=[0.1, 0.1, 0.2, 0.2]),
        loss_cls=dict(type='CrossEntropyLoss', use_sigmoid=False),
        loss_bbox=dict(type='L1Loss'))
    det = build_detector(FPN_CFG, overrides, str(path))
    with pytest.raises(TransferMismatchError) as err:
        det.init_weights()
    msg = str(err.value)
    assert 'roi_head.bbox_head.shared_convs.0.conv' in msg
    assert 'not in the model' in msg
    assert 'Shared4Conv1FCBBoxHead' in msg  # the fix is named


def test_fpn_without_norm_mismatch_names_modules(soco_ckpt):
    from mmsoco.transfer import TransferMismatchError
    path, _ = soco_ckpt
    overrides = copy.deepcopy(TINY_DET)
    overrides['neck']['norm_cfg'] = None
    det = build_detector(FPN_CFG, overrides, str(path))
    with pytest.raises(TransferMismatchError,
                       match=r'neck\.lateral_convs\.0\.bn') as err:
        det.init_weights()
    assert 'neck.lateral_convs.0.conv' in str(err.value)  # bias missing


def test_detectron2_layout(soco_ckpt, tmp_path):
    from mmsoco.transfer import export_checkpoint, save_export
    path, online = soco_ckpt
    out = tmp_path / 'soco_d2.pkl'
    save_export(export_checkpoint(str(path)), str(out), fmt='detectron2')
    with open(out, 'rb') as f:
        d2 = pickle.load(f)
    assert d2['matching_heuristics'] is True
    model = d2['model']
    for key in ('stem.conv1.weight', 'stem.conv1.norm.running_var',
                'res2.0.conv1.weight', 'res3.0.shortcut.weight',
                'res3.0.shortcut.norm.bias', 'res5.1.conv2.norm.weight',
                'fpn_lateral2.weight', 'fpn_lateral5.norm.bias',
                'fpn_output3.weight', 'box_head.conv1.weight',
                'box_head.conv4.norm.running_mean', 'box_head.fc1.weight'):
        assert key in model, key
    assert not any('num_batches_tracked' in k for k in model)
    sd = online.state_dict()
    assert (model['res3.0.shortcut.norm.bias'] ==
            sd['backbone.layer2.0.downsample.1.bias'].numpy()).all()
    assert (model['box_head.fc1.weight'] ==
            sd['bbox_head.shared_fcs.0.weight'].numpy()).all()
    assert (model['fpn_output4.weight'] ==
            sd['neck.fpn_convs.2.conv.weight'].numpy()).all()


def run_tool(args, env):
    return subprocess.run(
        [sys.executable, osp.join(REPO, 'tools/export_weights.py')] + args,
        capture_output=True, text=True, env=env, cwd=REPO)


def test_export_tool(soco_ckpt, c4_ckpt, tmp_path, tool_env):
    path, _ = soco_ckpt
    out = tmp_path / 'out.pth'
    res = run_tool([str(path), str(out)], tool_env)
    assert res.returncode == 0, res.stderr
    assert '| backbone' in res.stdout and '| neck' in res.stdout
    assert 'roi_head.bbox_head.shared_fcs.0' in res.stdout
    assert 'not exported' in res.stdout and out.is_file()
    assert not list(tmp_path.glob('.tmp_*'))  # atomic write left nothing
    # C4 checkpoint asked for FPN keys
    res = run_tool([str(c4_ckpt[0]), str(tmp_path / 'x.pth'), '--arch',
                    'fpn'], tool_env)
    assert res.returncode != 0 and 'C4 checkpoint' in res.stderr
    assert not (tmp_path / 'x.pth').exists()
    # not a checkpoint at all
    junk = tmp_path / 'junk.pth'
    junk.write_text('hello')
    res = run_tool([str(junk), str(tmp_path / 'y.pth')], tool_env)
    assert res.returncode != 0 and 'not a PyTorch checkpoint' in res.stderr
    # a checkpoint that is not ours (a detector's)
    det = tmp_path / 'det.pth'
    torch.save({'state_dict': {'backbone.conv1.weight': torch.zeros(1),
                               'roi_head.x': torch.zeros(1)}, 'meta': {}},
               det)
    res = run_tool([str(det), str(tmp_path / 'z.pth')], tool_env)
    assert res.returncode != 0 and 'not an mmsoco' in res.stderr
    # an export is not exported twice
    res = run_tool([str(out), str(tmp_path / 'w.pth')], tool_env)
    assert res.returncode != 0 and 'already an export' in res.stderr
