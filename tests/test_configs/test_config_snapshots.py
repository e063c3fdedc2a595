"""Every shipped config builds to the same fully merged dict as recorded.

The snapshots under tests/data/config_snapshots/ (one JSON per config, named
after its path) were written from the configs before they were made to
compose (shared model fragments, view lists overridden, hooks in runtime
bases, mm names): a refactor of configs/ must leave every built config
unchanged, model, data, schedule and hooks (order included). A recipe has
one name: no config is only a `_base_` pointing at another one.

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
    """Config paths that have a snapshot."""
    return sorted(
        osp.basename(p)[:-5].replace('__', '/') + '.py'
        for p in glob.glob(osp.join(SNAPSHOTS, '*.json')))


def test_every_config_has_a_snapshot():
    covered = set(snapshot_names())
    missing = [p for p in shipped_configs() if p not in covered]
    assert not missing or UPDATE, (
        f'configs without a snapshot: {missing}; run with '
        'MMSOCO_UPDATE_CONFIG_SNAPSHOTS=1 to record them')


@pytest.mark.parametrize('rel', shipped_configs() if UPDATE else [])
def test_write_snapshot(rel):
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
    got = built(rel)
    assert sorted(got) == sorted(expected), rel
    for key in expected:
        assert got[key] == expected[key], f'{rel}: {key} changed'


@pytest.mark.parametrize('rel', shipped_configs())
def test_no_config_is_only_another_name(rel):
    """A shipped config adds something to what it inherits: a file that
    only sets `_base_` to one other config would be a second name."""
    with open(osp.join(REPO, rel)) as f:
        tree = ast.parse(f.read())
    only_base = (len(tree.body) == 1
                 and isinstance(tree.body[0], ast.Assign)
                 and tree.body[0].targets[0].id == '_base_')
    if only_base:
        bases = ast.literal_eval(tree.body[0].value)
        bases = [bases] if isinstance(bases, str) else bases
        assert len(bases) > 1, f'{rel} only inherits {bases}'


def test_canonical_tells_tuples_from_lists():
    assert canonical((1, 2)) != canonical([1, 2])
    assert canonical({'b': 1, 'a': (2, )}) == {
        'a': {'__tuple__': [2]}, 'b': 1}
