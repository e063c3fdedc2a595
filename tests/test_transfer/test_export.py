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

from tests.conftest import REPO
from tests.soco_tiny import tiny_soco_cfg

FPN_CFG = osp.join(REPO, 'configs/transfer/mask-rcnn_r50_fpn_soco_1x_coco.py')
C4_CFG = osp.join(REPO, 'configs/transfer/mask-rcnn_r50_c4_soco_1x_coco.py')

# the detector side of tests/soco_tiny.py's SoCo (ResNet-18 x 1/8, FPN 16)
TINY_DET = dict(
    backbone=dict(depth=18, base_channels=8),
    neck=dict(in_channels=[8, 16, 32, 64], out_channels=16),
    rpn_head=dict(in_channels=16, feat_channels=16),
    roi_head=dict(
        bbox_roi_extractor=dict(out_channels=16),
        bbox_head=dict(in_channels=16, conv_out_channels=16,
                       fc_out_channels=32),
        mask_roi_extractor=dict(out_channels=16),
        mask_head=dict(in_channels=16, conv_out_channels=16)))

TINY_NORM = dict(type='BN', requires_grad=True)
TINY_SOCO_C4 = dict(
    type='SoCoC4',
    backbone=dict(type='mmdet.ResNet', depth=18, num_stages=3,
                  strides=(1, 2, 2), dilations=(1, 1, 1), out_indices=(2, ),
                  norm_cfg=TINY_NORM, norm_eval=False),
    shared_head=dict(type='mmdet.ResLayer', depth=18, stage=3, stride=2,
                     norm_cfg=TINY_NORM, norm_eval=False),
    projector=dict(type='SoCoMLP', in_channels=512, hid_channels=64,
                   out_channels=16),
    predictor=dict(type='SoCoMLP', in_channels=16, hid_channels=64,
                   out_channels=16))
TINY_DET_C4 = dict(
    backbone=dict(depth=18),
    rpn_head=dict(in_channels=256, feat_channels=256),
    roi_head=dict(
        shared_head=dict(depth=18),
        bbox_roi_extractor=dict(out_channels=256),
        bbox_head=dict(in_channels=512),
        mask_head=dict(in_channels=512, conv_out_channels=16)))


def perturb_(model):
    """Make every tensor distinct from its initial value (BN stats too)."""
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for t in model.state_dict().values():
            if t.is_floating_point():
                t.add_(torch.rand(t.shape, generator=gen) + 0.1)


def save_pretrain_ckpt(model_cfg, path):
    import mmsoco  # noqa: F401
    from mmengine.config import Config
    from mmengine.registry import init_default_scope
    from mmengine.runner import save_checkpoint
    from mmsoco.registry import MODELS
    init_default_scope('mmsoco')
    torch.manual_seed(0)
    model = MODELS.build(copy.deepcopy(model_cfg))
    model.init_weights()
    perturb_(model)
    cfg = Config(dict(model=model_cfg, default_scope='mmsoco'))
    # the layout Runner.save_checkpoint writes
    save_checkpoint(
        dict(meta=dict(cfg=cfg.pretty_text, iter=3, epoch=0),
             state_dict=model.state_dict(), message_hub={},
             optimizer={}, param_schedulers=[]), str(path))
    return model


def build_detector(cfg_path, overrides, checkpoint):
    import mmsoco  # noqa: F401
    from mmdet.utils import register_all_modules
    from mmengine.config import Config
    from mmengine.registry import MODELS, init_default_scope
    register_all_modules(init_default_scope=False)
    cfg = Config.fromfile(cfg_path)
    cfg.merge_from_dict(dict(model=overrides))
    cfg.model.init_cfg.checkpoint = checkpoint
    init_default_scope('mmdet')
    torch.manual_seed(123)
    model = MODELS.build(cfg.model)
    return model


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


def assert_transferred(det, online, pairs):
    det_sd = det.state_dict()
    checked = 0
    for src_prefix, dst_prefix in pairs:
        src = {k: v for k, v in online.state_dict().items()
               if k.startswith(src_prefix)}
        dst = {k: v for k, v in det_sd.items() if k.startswith(dst_prefix)}
        assert src, src_prefix
        assert len(src) == len(dst), (src_prefix, sorted(set(
            k[len(dst_prefix):] for k in dst) ^ set(
                k[len(src_prefix):] for k in src))[:5])
        for k, v in src.items():
            torch.testing.assert_close(det_sd[dst_prefix + k[len(src_prefix):]],
                                       v, rtol=0, atol=0)
            checked += 1
    return checked


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
