"""The mmsoco scope: register_all_modules, default scope, no torchvision.

Each check runs in a fresh interpreter, so that nothing imported by other
tests (or pytest plugins) hides what ``import mmsoco`` itself pulls in.
"""
import json
import os
import subprocess
import sys

from ..helpers import REPO

PROBE = r'''
import json, sys
import mmsoco
after_import = 'torchvision' in sys.modules
from mmengine.registry import DefaultScope
scope_before = DefaultScope.get_current_instance()
from mmsoco.utils import register_all_modules
register_all_modules()
scope = DefaultScope.get_current_instance().scope_name
register_all_modules()  # idempotent: no second scope
again = DefaultScope.get_current_instance().scope_name

from mmengine.config import Config
from mmsoco.registry import (DATASETS, HOOKS, MODELS, OPTIM_WRAPPERS,
                             TRANSFORMS, VISUALIZERS, WEIGHT_INITIALIZERS)
cfg = Config.fromfile('configs/soco_r18_fpn_1xb4-12iter_demo.py')
model = MODELS.build(cfg.model)
hooks = [HOOKS.build(h) for h in cfg.get('custom_hooks', [])]
pipeline = [TRANSFORMS.build(t) for t in cfg.train_dataloader.dataset.pipeline]
names = dict(model=type(model).__module__,
             hooks=[type(h).__module__ for h in hooks],
             pipeline=[type(t).__module__ for t in pipeline],
             wrapper=OPTIM_WRAPPERS.get('CPUAmpOptimWrapper').__module__,
             dataset=DATASETS.get('SoCoDataset').__module__,
             transfer_init=WEIGHT_INITIALIZERS.get(
                 'TransferPretrained').__module__,
             shared_head=MODELS.get('ResLayerExtraNorm').__module__,
             visualizer=VISUALIZERS.get('SoCoVisualizer').__module__)
print(json.dumps(dict(
    after_import=after_import, scope_before=scope_before is not None,
    scope=scope, again=again, names=names,
    torchvision=sorted(m for m in sys.modules
                       if m == 'torchvision' or
                       m.startswith('torchvision.')))))
'''


# Stands in for torchvision, first on the path: any attempt to import it,
# even one guarded by try/except ImportError, leaves its stack in a file and
# then fails as if torchvision were not installed.
SENTINEL = r'''
import os, traceback
with open(os.environ['TORCHVISION_ATTEMPTS'], 'a') as f:
    f.write(''.join(traceback.format_stack()) + '\n----\n')
raise ImportError('torchvision is not available (mmsoco test sentinel)')
'''


def run_probe(tmp_path):
    fake = tmp_path / 'sentinel' / 'torchvision'
    fake.mkdir(parents=True)
    (fake / '__init__.py').write_text(SENTINEL)
    attempts = tmp_path / 'attempts.txt'
    env = dict(os.environ, TORCHVISION_ATTEMPTS=str(attempts),
               PYTHONPATH=os.pathsep.join([str(tmp_path / 'sentinel'),
                                           os.environ.get('PYTHONPATH', '')]))
    proc = subprocess.run([sys.executable, '-c', PROBE], cwd=REPO, env=env,
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]
    tried = attempts.read_text() if attempts.exists() else ''
    return json.loads(proc.stdout.strip().splitlines()[-1]), tried


def test_register_all_modules_scope_and_no_torchvision(tmp_path):
    out, tried = run_probe(tmp_path)
    assert tried == '', 'torchvision was imported from:\n' + tried[-4000:]
    assert not out['scope_before']  # import mmsoco sets no scope itself
    assert out['scope'] == 'mmsoco' and out['again'] == 'mmsoco'
    names = out['names']
    assert names['model'].startswith('mmsoco.models.')
    assert names['dataset'].startswith('mmsoco.datasets.')
    assert names['wrapper'].startswith('mmsoco.engine.')
    assert names['transfer_init'].startswith('mmsoco.transfer.')
    assert names['shared_head'].startswith('mmsoco.models.')
    assert names['visualizer'].startswith('mmsoco.visualization.')
    assert names['pipeline'] and all(
        n.startswith(('mmsoco.datasets.transforms', 'mmcv.', 'mmengine.'))
        for n in names['pipeline']), names['pipeline']
    assert not out['after_import']
    assert out['torchvision'] == []
