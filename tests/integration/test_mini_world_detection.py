"""benchmarks/mini_world_detection.py: a few-iteration fine-tune on a tiny
stand-in world returns finite AP50s at the requested points (the same for a
seed, whichever points are evaluated), a pretrained export is really
loaded into the detector, and bad input gets one line."""
import json
import math

import pytest
import torch

from tests.helpers import load_script, save_pretrain_ckpt
from tests.mini_world_tiny import write_tiny_world
from tests.soco_tiny import tiny_soco_cfg

pytestmark = pytest.mark.usefixtures('one_thread')
DEVICE = 'cuda' if torch.cuda.is_available() else 'cpu'


def bench():
    return load_script('benchmarks/mini_world_detection.py')


@pytest.fixture(scope='module')
def world(tmp_path_factory):
    return write_tiny_world(str(tmp_path_factory.mktemp('world')))


@pytest.fixture(scope='module')
def soco_export(tmp_path_factory):
    """The export of a tiny SoCo (ResNet-18 x 1/8, FPN 16, head 16 / 32)
    whose every tensor differs from an initialisation."""
    from mmsoco.transfer import export_checkpoint, save_export
    root = tmp_path_factory.mktemp('soco')
    save_pretrain_ckpt(tiny_soco_cfg(), root / 'iter_3.pth')
    out = str(root / 'soco_mmdet.pth')
    save_export(export_checkpoint(str(root / 'iter_3.pth')), out)
    return out


def test_random_init_curve(world, tmp_path):
    mod = bench()
    r = mod.finetune_curve(world, None, 0, str(tmp_path / 'a'), iters=4,
                           eval_points=[2, 4], device=DEVICE)
    assert r['iters'] == [2, 4] and len(r['ap50']) == 2
    assert all(math.isfinite(v) and 0 <= v <= 1 for v in r['ap50'])
    assert r['loaded_tensors'] == 0
    curve = json.load(open(tmp_path / 'a' / 'curve.json'))
    assert sorted(curve, key=int) == ['2', '4']
    assert curve['4']['coco/bbox_mAP_50'] == r['ap50'][1]
    # a finished run is reused; the same seed with fewer evaluation points
    # trains the same network (the evaluations leave the RNGs alone)
    assert mod.finetune_curve(world, None, 0, str(tmp_path / 'a'), 4,
                              [2, 4], DEVICE) == r
    again = mod.finetune_curve(world, None, 0, str(tmp_path / 'b'), 4, [4],
                               DEVICE)
    assert again['ap50'] == r['ap50'][1:]
    # a work dir holds one run's settings
    with pytest.raises(ValueError, match='seed differ'):
        mod.finetune_curve(world, None, 1, str(tmp_path / 'a'), 4, [2, 4],
                           DEVICE)


def test_export_is_loaded(world, soco_export, tmp_path):
    mod = bench()
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope

    from mmsoco.transfer import load_export
    export = load_export(soco_export)
    cfg = mod.build_config(world, soco_export, 0, str(tmp_path / 'cfg'),
                           iters=2, eval_points=[2])
    assert cfg.model.backbone.base_channels == 8
    assert cfg.model.roi_head.bbox_head.fc_out_channels == 32
    assert cfg.model.backbone.frozen_stages == -1
    assert cfg.model.backbone.norm_eval is False
    assert cfg.train_dataloader.dataset.pipeline[2]['scale'] == (64, 64)
    init_default_scope('mmdet')
    torch.manual_seed(5)
    det = MODELS.build(cfg.model)
    det.init_weights()
    sd = det.state_dict()
    for key in ('backbone.conv1.weight', 'neck.fpn_convs.0.conv.weight',
                'roi_head.bbox_head.shared_fcs.0.weight'):
        torch.testing.assert_close(sd[key], export.state_dict[key],
                                   rtol=0, atol=0)
    # the random baseline with the export's widths: same shapes, own values
    base = mod.build_config(world, None, 0, str(tmp_path / 'cfg2'), 2, [2],
                            arch_from=soco_export)
    rand = MODELS.build(base.model)
    rand.init_weights()
    conv1 = rand.state_dict()['backbone.conv1.weight']
    assert conv1.shape == export.state_dict['backbone.conv1.weight'].shape
    assert not torch.equal(conv1, export.state_dict['backbone.conv1.weight'])

    r = mod.finetune_curve(world, soco_export, 0, str(tmp_path / 'run'),
                           iters=2, eval_points=[2], device=DEVICE)
    assert r['loaded_tensors'] == r['export_tensors'] == len(
        export.state_dict) > 100
    assert math.isfinite(r['ap50'][0])


def test_cli_bad_input_one_line(world, tmp_path, capsys):
    mod = bench()
    assert mod.main([world, '--init', str(tmp_path / 'nope.pth')]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count('\n') == 0 and 'nope.pth' in err
    assert mod.main([str(tmp_path), '--init', 'random', '--iters', '2',
                     '--work-dir', str(tmp_path / 'w')]) == 2
    err = capsys.readouterr().err.strip()
    assert err.count('\n') == 0 and 'not found' in err
