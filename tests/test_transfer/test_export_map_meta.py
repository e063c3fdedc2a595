"""The exporter reads the export map a checkpoint's meta carries
(ExportMapHook writes the algorithm's EXPORT_MAP there) instead of guessing;
checkpoints without one (written before, or by a run without the hook) take
the legacy path and export as before."""
import copy

import pytest
import torch
from torch.utils.data import Dataset

from mmsoco.engine.hooks import ExportMapHook
from mmsoco.models.utils.export_map import EXPORT_MAP_META_KEY
from mmsoco.transfer import (ExportError, export_checkpoint, load_export,
                             save_export, to_mmdet)
from mmsoco.transfer.convert import MAP_FROM_LEGACY, MAP_FROM_META

from ..helpers import build_model
from ..insloc_tiny import tiny_insloc_cfg
from mmsoco.testing import random_soco_batch
from ..soco_tiny import tiny_soco_cfg

pytestmark = pytest.mark.usefixtures('one_thread', 'quiet_init')


class PackedBatchSet(Dataset):
    """The samples of one random SoCo batch, already packed."""

    def __init__(self, n: int = 2):
        batch = random_soco_batch(batch=n, sizes=(64, 64, 32))
        self.items = [dict(inputs=[view[i] for view in batch['inputs']],
                           data_samples=batch['data_samples'][i])
                      for i in range(n)]

    def __len__(self):
        return len(self.items)

    def __getitem__(self, i):
        return self.items[i]


def test_runner_checkpoints_carry_the_map_and_export_through_it(tmp_path):
    from mmengine.runner import Runner
    runner = Runner(
        model=tiny_soco_cfg(),
        work_dir=str(tmp_path),
        train_dataloader=dict(dataset=PackedBatchSet(),
                              sampler=dict(type='DefaultSampler',
                                           shuffle=False),
                              collate_fn=dict(type='pseudo_collate'),
                              batch_size=2, num_workers=0),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=1),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(checkpoint=dict(type='CheckpointHook',
                                           interval=1, by_epoch=False)),
        custom_hooks=[dict(type='MomentumTargetHook'),
                      dict(type='ExportMapHook')],
        default_scope='mmsoco', log_level='WARNING')
    runner.train()
    path = str(tmp_path / 'iter_1.pth')
    ckpt = torch.load(path, map_location='cpu', weights_only=False)
    emap = ckpt['meta'][EXPORT_MAP_META_KEY]
    assert emap == dict(runner.model.export_map())
    assert emap['model_type'] == 'SoCo' and emap['arch'] == 'fpn'
    export = export_checkpoint(path)
    assert export.map_from == MAP_FROM_META
    assert export.model_type == 'SoCo' and export.arch == 'fpn'
    # the same tensors as the legacy guess from the keys
    legacy = to_mmdet(ckpt['state_dict'])
    assert legacy.map_from == MAP_FROM_LEGACY
    assert list(export.state_dict) == list(legacy.state_dict)
    assert export.modules == legacy.modules and \
        export.dropped == legacy.dropped
    for k, v in export.state_dict.items():
        assert torch.equal(v, legacy.state_dict[k]), k
    # an export file keeps where its map came from
    out = tmp_path / 'mmdet.pth'
    save_export(export, str(out), source_path=path)
    again = load_export(str(out))
    assert again.map_from == MAP_FROM_META and again.export_map == \
        export.export_map


def _save(tmp_path, state, meta, name='ckpt.pth'):
    path = tmp_path / name
    torch.save(dict(state_dict=state, meta=meta), path)
    return str(path)


@pytest.fixture(scope='module')
def insloc_c4_state():
    return build_model(copy.deepcopy(tiny_insloc_cfg(c4=True))).state_dict()


def test_the_map_in_meta_is_read_not_guessed(tmp_path, insloc_c4_state):
    # a map that exports the backbone only: the exporter follows it, though
    # the keys look like a full C4 checkpoint
    meta = {EXPORT_MAP_META_KEY: dict(arch='c4', model_type='InsLocC4',
                                      prefixes={'backbone': 'backbone'})}
    export = export_checkpoint(_save(tmp_path, insloc_c4_state, meta))
    assert export.modules == ('backbone', )
    assert export.model_type == 'InsLocC4'
    assert export.state_dict and all(k.startswith('backbone.')
                                     for k in export.state_dict)
    assert any(k.startswith('shared_head.') for k in export.dropped)
    # the map's architecture is what a detector asks for
    with pytest.raises(ExportError, match=r'C4 checkpoint \(InsLocC4\)'):
        export_checkpoint(_save(tmp_path, insloc_c4_state, meta), want='fpn')


def test_checkpoints_without_a_map_take_the_legacy_path(tmp_path,
                                                        insloc_c4_state):
    cfg_text = "model = dict(type='InsLocC4', backbone=dict())\n"
    export = export_checkpoint(_save(tmp_path, insloc_c4_state,
                                     dict(cfg=cfg_text)))
    assert export.map_from == MAP_FROM_LEGACY
    assert export.model_type == 'InsLocC4' and export.arch == 'c4'
    assert export.modules == ('backbone', 'roi_head.shared_head.layer4')
    # the legacy path knows the model types from the registry
    from mmsoco.transfer.legacy import known_model_types
    assert set(known_model_types()) >= {'SoCo', 'SoCoC4', 'InsLoc',
                                        'InsLocC4'}


@pytest.mark.parametrize('bad,match', [
    ('fpn', r"meta\['mmsoco_export_map'\] must be a dict"),
    (dict(arch='p6', prefixes={'backbone': 'backbone'}),
     'arch must be one of'),
    (dict(arch='c4', prefixes={}), 'prefixes must be a non-empty dict'),
    (dict(arch='c4', prefixes={'neck': 'neck'}),
     r"names \['neck'\], but the checkpoint has no such keys"),
])
def test_a_bad_map_is_refused_in_one_line(tmp_path, insloc_c4_state, bad,
                                          match):
    path = _save(tmp_path, insloc_c4_state, {EXPORT_MAP_META_KEY: bad})
    with pytest.raises(ExportError, match=match) as err:
        export_checkpoint(path)
    assert '\n' not in str(err.value) and path in str(err.value)


def test_hook_leaves_models_without_a_map_alone():
    from types import SimpleNamespace
    from torch import nn
    checkpoint = dict(meta=dict(cfg='x'))
    ExportMapHook().before_save_checkpoint(
        SimpleNamespace(model=nn.Linear(1, 1)), checkpoint)
    assert checkpoint == dict(meta=dict(cfg='x'))
    model = build_model(tiny_soco_cfg())
    ExportMapHook().before_save_checkpoint(SimpleNamespace(model=model),
                                           checkpoint)
    assert checkpoint['meta'][EXPORT_MAP_META_KEY]['model_type'] == 'SoCo'


@pytest.mark.parametrize('name', ['SoCo', 'SoCoC4', 'InsLoc', 'InsLocC4'])
def test_old_checkpoints_export_alike_with_and_without_the_map(name,
                                                               tmp_path):
    """State dicts under the key names of before (tests/data): the legacy
    guess and the algorithm's declared map give the same export."""
    from mmsoco.registry import MODELS

    from ..helpers import old_state
    state = old_state(name)
    legacy = export_checkpoint(_save(tmp_path, state, {}, 'old.pth'))
    mapped = export_checkpoint(_save(
        tmp_path, state,
        {EXPORT_MAP_META_KEY: MODELS.get(name).export_map()}, 'new.pth'))
    assert (legacy.map_from, mapped.map_from) == (MAP_FROM_LEGACY,
                                                  MAP_FROM_META)
    assert mapped.model_type == name and legacy.arch == mapped.arch
    assert list(legacy.state_dict) == list(mapped.state_dict)
    assert legacy.modules == mapped.modules
    assert legacy.dropped == mapped.dropped
    for k, v in legacy.state_dict.items():
        assert torch.equal(v, mapped.state_dict[k]), k
