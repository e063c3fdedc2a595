"""Each workaround in mmsoco/compat.py, exercised where the stack breaks.

The two distributed patches are also covered end to end by
tests/integration/test_launch_dist.py and tests/integration/test_launch_slurm.py.
"""
import os
import os.path as osp
import subprocess
import sys
import textwrap

import numpy as np
import pytest
import torch

import mmsoco  # noqa: F401  (applies the patches)

from .helpers import REPO, free_port


@pytest.fixture
def mmengine_checkpoint(tmp_path):
    """An mmengine-style checkpoint: it pickles more than tensors."""
    from mmengine.logging import MessageHub
    from mmengine.runner.checkpoint import save_checkpoint
    hub = MessageHub.get_instance('compat-test')
    hub.update_scalar('train/loss', 0.5)
    path = str(tmp_path / 'epoch_1.pth')
    save_checkpoint(
        dict(meta=dict(epoch=1, seed=np.int64(7)),
             state_dict=dict(weight=torch.ones(2)),
             message_hub=hub.state_dict()), path)
    return path


def test_plain_torch_load_refuses_mmengine_checkpoints(mmengine_checkpoint):
    """The breakage itself: torch >= 2.6 loads weights only by default."""
    with pytest.raises(Exception, match='weights_only'):
        torch.load(mmengine_checkpoint)


def test_mmengine_loads_its_checkpoints(mmengine_checkpoint):
    """What resume, load_from and init_cfg=Pretrained go through."""
    from mmengine.runner.checkpoint import _load_checkpoint, load_checkpoint
    ckpt = _load_checkpoint(mmengine_checkpoint, map_location='cpu')
    assert ckpt['meta']['seed'] == 7
    model = torch.nn.Module()
    model.weight = torch.nn.Parameter(torch.zeros(2))
    load_checkpoint(model, mmengine_checkpoint, map_location='cpu')
    assert torch.equal(model.weight.data, torch.ones(2))


def test_missing_checkpoint_names_the_file(tmp_path):
    from mmengine.runner.checkpoint import _load_checkpoint
    with pytest.raises(FileNotFoundError, match='nope.pth'):
        _load_checkpoint(str(tmp_path / 'nope.pth'))


CPU_DIST_SCRIPT = textwrap.dedent('''
    import sys, torch
    import mmsoco
    from mmengine.dist import init_dist, get_world_size
    from mmengine.model import MMDistributedDataParallel
    import torch.distributed as dist
    init_dist(sys.argv[1], backend='nccl')   # the mmengine default
    assert dist.get_backend() == 'gloo', dist.get_backend()
    net = torch.nn.Sequential(torch.nn.Linear(3, 4), torch.nn.SyncBatchNorm(4))
    ddp = MMDistributedDataParallel(module=net, device_ids=[0])
    ddp(torch.randn(5, 3)).sum().backward()
    assert net[0].weight.grad is not None
    print('ok', get_world_size())
    dist.destroy_process_group()  # as tools/train.py does at the end
''')


@pytest.mark.skipif(torch.cuda.is_available(), reason='CPU-only behaviour')
@pytest.mark.parametrize('launcher', ['pytorch', 'slurm'])
def test_cpu_process_group_and_ddp(launcher):
    """init_dist and DDP as mmengine's Runner calls them, on a CPU machine."""
    env = dict(os.environ, MASTER_ADDR='127.0.0.1',
               MASTER_PORT=str(free_port()))
    if launcher == 'pytorch':
        env.update(RANK='0', LOCAL_RANK='0', WORLD_SIZE='1')
    else:
        env.update(SLURM_PROCID='0', SLURM_NTASKS='1', SLURM_LOCALID='0',
                   SLURM_NODELIST='localhost')
    proc = subprocess.run([sys.executable, '-c', CPU_DIST_SCRIPT, launcher],
                          env=env, capture_output=True, text=True,
                          timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    assert proc.stdout.strip().endswith('ok 1')


def test_dataloader_without_workers_ignores_persistent_workers():
    """A config written for worker processes runs with num_workers=0."""
    from mmengine.runner import Runner
    loader = Runner.build_dataloader(dict(
        batch_size=2, num_workers=0, persistent_workers=True,
        sampler=dict(type='DefaultSampler', shuffle=False),
        dataset=[torch.zeros(2) for _ in range(4)]))
    assert loader.num_workers == 0 and not loader.persistent_workers
    assert len(list(loader)) == 2


def test_import_mmsoco_loads_no_torch_until_mmengine_is_imported():
    """``import mmsoco`` alone loads neither torch nor mmengine (the
    converters start fast); importing mmengine afterwards applies every
    patch."""
    code = textwrap.dedent('''
        import sys
        import mmsoco
        assert not {'torch', 'mmengine'} & set(sys.modules), sorted(
            m for m in sys.modules if m.split('.')[0] in ('torch',
                                                          'mmengine'))
        from mmengine.runner import Runner
        from mmsoco import compat
        assert {'patch_checkpoint_loading', 'patch_cpu_process_group',
                'patch_cpu_ddp_wrapper',
                'patch_dataloader_without_workers'} <= compat._APPLIED
        print('ok')
    ''')
    proc = subprocess.run([sys.executable, '-c', code], cwd=REPO,
                          capture_output=True, text=True, timeout=300)
    assert proc.stdout.strip() == 'ok', proc.stderr[-2000:]


def test_config_text_formatted_once_per_contents(monkeypatch):
    """mmengine's Config.pretty_text runs yapf on every call; the patch
    formats an unchanged config once and a changed one again."""
    import mmengine.config.config as config_module
    from mmengine.config import Config
    cfg = Config.fromfile(osp.join(
        REPO, 'configs', 'soco_r18_fpn_1xb4-12iter_demo.py'))
    calls = []
    format_code = config_module.FormatCode

    def counted(*args, **kwargs):
        calls.append(1)
        return format_code(*args, **kwargs)

    monkeypatch.setattr(config_module, 'FormatCode', counted)
    first = cfg.pretty_text
    assert cfg.pretty_text == first and len(calls) == 1
    cfg.train_cfg.max_iters = 7
    changed = cfg.pretty_text
    assert len(calls) == 2 and 'max_iters=7' in changed
    assert Config.fromstring(changed, '.py').train_cfg.max_iters == 7


@pytest.mark.parametrize('module', [
    'mmsoco.registry', 'mmsoco.transfer', 'mmsoco.models', 'mmsoco.engine',
    'mmsoco.datasets', 'mmsoco.evaluation', 'mmsoco.proposals'])
def test_each_subpackage_imports_first_in_a_fresh_interpreter(module):
    """The patches applied right after mmengine's import must not import a
    module that is itself still being imported (a package that imports
    mmengine first, e.g. the registry, once saw a partial mmsoco.registry)."""
    proc = subprocess.run([sys.executable, '-c', f'import {module}'],
                          cwd=REPO, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
