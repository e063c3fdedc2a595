"""Every shipped config builds to the same fully merged dict as recorded.

The snapshots under tests/data/config_snapshots/ (one JSON per config, named
after its path) were written from the configs before they were made to
compose (shared model fragments, view lists overridden, hooks in runtime
bases, mm names): a refactor of configs/ must leave every built config
unchanged, model, data, schedule and hooks (order included).

Renamed configs keep their old name as a thin alias (only `_base_`) for one
release; both names must build to the snapshot taken under the old one.

Rewrite the snapshots (only when a config is meant to change):
    MMSOCO_UPDATE_CONFIG_SNAPSHOTS=1 python -m pytest tests/test_configs
"""
import ast
import glob
import json
import os
import os.path as osp

import pytest
from mmengine.config import Config

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
SNAPSHOTS = osp.join(REPO, 'tests', 'data', 'config_snapshots')
UPDATE = os.environ.get('MMSOCO_UPDATE_CONFIG_SNAPSHOTS') == '1'

# old name -> mm-convention name ({algo}_{backbone}_{gpus}xb{batch}-
# {schedule}_{dataset}); the old file only inherits the new one. Not
# renamed: soco_r18_fpn_custom.py, the own-images template that users copy
# and edit (an alias copied elsewhere would not build).
ALIASES = {
    'configs/insloc_r50_c4_200ep.py':
    'configs/insloc_r50_c4_8xb32-200e_in1k.py',
    'configs/insloc_r50_fpn_200ep.py':
    'configs/insloc_r50_fpn_8xb32-200e_in1k.py',
    'configs/insloc_r50_fpn_400ep.py':
    'configs/insloc_r50_fpn_8xb32-400e_in1k.py',
    'configs/insloc_r50_fpn_demo.py':
    'configs/insloc_r18_fpn_1xb4-8iter_demo.py',
    'configs/soco-star_r50_fpn_400ep.py':
    'configs/soco-star_r50_fpn_16xb128-400e_in1k.py',
    'configs/soco_r50_c4_100ep.py':
    'configs/soco_r50_c4_16xb128-100e_in1k.py',
    'configs/soco_r50_fpn.py':
    'configs/soco_r50_fpn_16xb128-100e_in1k.py',
    'configs/soco_r50_fpn_400ep.py':
    'configs/soco_r50_fpn_16xb128-400e_in1k.py',
    'configs/soco_r50_fpn_demo.py':
    'configs/soco_r18_fpn_1xb4-12iter_demo.py',
}


def shipped_configs():
    """Leaf configs (not _base_), relative to the repository root."""
    paths = glob.glob(osp.join(REPO, 'configs', '*.py')) + glob.glob(
        osp.join(REPO, 'configs', 'transfer', '*.py'))
    return sorted(osp.relpath(p, REPO) for p in paths)


def canonical(obj):
    """JSON-able form that keeps tuples apart from lists, keys sorted."""
    if isinstance(obj, dict):
        return {str(k): canonical(v) for k, v in sorted(obj.items())}
    if isinstance(obj, tuple):
        return {'__tuple__': [canonical(v) for v in obj]}
    if isinstance(obj, list):
        return [canonical(v) for v in obj]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    return {'__repr__': repr(obj)}


def built(rel):
    return canonical(Config.fromfile(osp.join(REPO, rel)).to_dict())


def snapshot_path(rel):
    return osp.join(SNAPSHOTS, rel.replace('/', '__')[:-3] + '.json')


def snapshot_names():
    """Config paths that have a snapshot (the names before the rename)."""
    return sorted(
        osp.basename(p)[:-5].replace('__', '/') + '.py'
        for p in glob.glob(osp.join(SNAPSHOTS, '*.json')))


def test_every_config_has_a_snapshot():
    covered = set(snapshot_names()) | set(ALIASES.values())
    missing = [p for p in shipped_configs() if p not in covered]
    assert not missing or UPDATE, (
        f'configs without a snapshot: {missing}; run with '
        'MMSOCO_UPDATE_CONFIG_SNAPSHOTS=1 to record them')


@pytest.mark.parametrize('rel', shipped_configs() if UPDATE else [])
def test_write_snapshot(rel):
    if rel in ALIASES.values():
        pytest.skip('a renamed config is checked against its old name')
    os.makedirs(SNAPSHOTS, exist_ok=True)
    tmp = snapshot_path(rel) + '.tmp'
    with open(tmp, 'w') as f:
        json.dump(built(rel), f, indent=1, sort_keys=True)
        f.write('\n')
    os.replace(tmp, snapshot_path(rel))


@pytest.mark.parametrize('rel', snapshot_names())
def test_config_builds_as_snapshot(rel):
    with open(snapshot_path(rel)) as f:
        expected = json.load(f)
    names = [rel] + ([ALIASES[rel]] if rel in ALIASES else [])
    for name in names:
        got = built(name)
        assert sorted(got) == sorted(expected), name
        for key in expected:
            assert got[key] == expected[key], f'{name}: {key} changed'


@pytest.mark.parametrize('old', sorted(ALIASES))
def test_alias_is_thin(old):
    """An old name only inherits its new one (kept for one release)."""
    with open(osp.join(REPO, old)) as f:
        tree = ast.parse(f.read())
    assert len(tree.body) == 1, f'{old}: only `_base_ = [...]` expected'
    node = tree.body[0]
    assert isinstance(node, ast.Assign) and node.targets[0].id == '_base_'
    new = osp.basename(ALIASES[old])
    assert ast.literal_eval(node.value) == [f'./{new}']


def test_canonical_tells_tuples_from_lists():
    assert canonical((1, 2)) != canonical([1, 2])
    assert canonical({'b': 1, 'a': (2, )}) == {
        'a': {'__tuple__': [2]}, 'b': 1}
