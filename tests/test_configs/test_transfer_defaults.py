"""The transfer configs' default ``pretrained`` file lies in the default
work dir (``work_dirs/<config name>``) of a pretraining config that ships."""
import ast
import glob
import os.path as osp

import pytest

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
TRANSFER = sorted(glob.glob(osp.join(REPO, 'configs', 'transfer', '*.py')))


def default_pretrained(path: str) -> str:
    """The literal value of the config's top-level ``pretrained``."""
    with open(path) as f:
        tree = ast.parse(f.read())
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                getattr(t, 'id', None) == 'pretrained' for t in node.targets):
            return ast.literal_eval(node.value)
    return ''


@pytest.mark.parametrize('path', TRANSFER, ids=osp.basename)
def test_default_pretrained_names_the_work_dir_of_a_shipped_config(path):
    pretrained = default_pretrained(path)
    if not pretrained:  # '' = random initialisation (or no default)
        return
    parts = pretrained.split('/')
    assert parts[0] == 'work_dirs' and len(parts) == 3, pretrained
    config = osp.join(REPO, 'configs', parts[1] + '.py')
    assert osp.isfile(config), (
        f'{osp.basename(path)}: pretrained={pretrained!r} is the work dir '
        f'of configs/{parts[1]}.py, which does not exist')


def test_the_recipes_have_defaults():
    named = [p for p in TRANSFER if default_pretrained(p)]
    assert len(named) >= 3, named
