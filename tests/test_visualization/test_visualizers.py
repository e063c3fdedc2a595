"""The registered view visualizers behind tools/browse_views.py."""
import os.path as osp
import subprocess
import sys

from mmsoco.registry import VISUALIZERS

from ..helpers import REPO


def test_visualizers_are_registered_mmengine_visualizers():
    from mmengine.visualization import Visualizer
    for name in ('SoCoVisualizer', 'InsLocVisualizer'):
        cls = VISUALIZERS.get(name)
        assert cls is not None and issubclass(cls, Visualizer)
        assert callable(getattr(cls, 'browse'))


def test_config_without_view_visualizer_is_one_line(tmp_path, tool_env):
    cfg = tmp_path / 'cfg.py'
    base = osp.join(REPO, 'configs', '_base_', 'datasets', 'soco_imagenet.py')
    cfg.write_text(f'_base_ = [{base!r}]\nvisualizer = dict(type='
                   "'Visualizer')\n")
    res = subprocess.run(
        [sys.executable, osp.join(REPO, 'tools', 'browse_views.py'),
         str(cfg), '--out', str(tmp_path / 'o')],
        env=tool_env, capture_output=True, text=True, timeout=120)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and 'SoCoVisualizer' in lines[0], res.stderr
