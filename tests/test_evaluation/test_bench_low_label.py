"""benchmarks/transfer_low_label.py turns the chain's Mask R-CNN R18-FPN
config into the Faster R-CNN of the low-label benchmark (no mask branch,
the chosen classes, the CPU-sized RoI settings) and refuses a work dir
holding results of other settings."""
import pytest
from mmengine.config import Config

from ..helpers import load_script


def bench():
    return load_script('benchmarks/transfer_low_label.py')


@pytest.mark.usefixtures('one_thread', 'quiet_init')
def test_faster_rcnn_on_a_few_classes():
    mod = bench()
    args = mod.parse_args(['--classes', 'person', 'car'])
    cfg = Config.fromfile(mod.FINETUNE)
    cfg.merge_from_dict(mod.finetune_options(args))
    assert cfg.model.roi_head.mask_head is None
    assert cfg.train_dataloader.dataset.metainfo == dict(
        classes=('person', 'car'))
    assert cfg.test_dataloader.dataset.metainfo == dict(
        classes=('person', 'car'))
    assert cfg.test_evaluator.metric == 'bbox'
    assert cfg.optim_wrapper.optimizer.lr == 0.01
    assert not any(t.get('with_mask') for t in
                   cfg.train_dataloader.dataset.pipeline)
    from mmdet.registry import MODELS
    from mmengine.registry import init_default_scope
    init_default_scope('mmdet')
    model = MODELS.build(cfg.model)
    assert not model.roi_head.with_mask
    assert model.roi_head.bbox_head.num_classes == 2
    assert model.train_cfg.rcnn.sampler.num == 128


def test_work_dir_refuses_other_settings(tmp_path):
    from mmsoco.utils.work_dir_settings import settings_mismatch
    mod = bench()
    args = mod.parse_args(['--work-dir', str(tmp_path)])
    mine = mod.work_dir_settings(args)
    assert settings_mismatch(str(tmp_path), mine) is None  # recorded
    assert settings_mismatch(str(tmp_path), mine) is None  # reuse
    other = mod.parse_args(['--work-dir', str(tmp_path), '--lr', '0.02'])
    problem = settings_mismatch(str(tmp_path), mod.work_dir_settings(other))
    assert 'lr differ' in problem and str(tmp_path) in problem
