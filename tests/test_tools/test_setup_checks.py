"""tools/setup_env_checks.py: setup_env.sh's decisions for a CPU -> CUDA
switch of an existing .venv, tested without running the setup."""
import os.path as osp
import subprocess
import sys
import types

import pytest

from ..helpers import REPO, load_script

CHECKS = osp.join(REPO, 'tools', 'setup_env_checks.py')


@pytest.fixture(scope='module')
def checks():
    return load_script(CHECKS)


def fake_torch(version, cuda, gpu=False):
    return types.SimpleNamespace(
        __version__=version, version=types.SimpleNamespace(cuda=cuda),
        cuda=types.SimpleNamespace(is_available=lambda: gpu))


def test_setup_script_parses():
    r = subprocess.run(['bash', '-n', osp.join(REPO, 'tools',
                                               'setup_env.sh')],
                       capture_output=True, text=True)
    assert r.returncode == 0, r.stderr


@pytest.mark.parametrize('env, wanted', [
    ({}, False),
    ({'TORCH_INDEX_URL': 'https://download.pytorch.org/whl/cpu'}, False),
    ({'TORCH_INDEX_URL': 'https://download.pytorch.org/whl/cu126'}, True),
    ({'FORCE_CUDA': '1'}, True),
    ({'FORCE_CUDA': '0'}, False),
])
def test_want_cuda(checks, env, wanted):
    assert checks.want_cuda(env) is wanted


def test_cpu_torch_is_replaced_only_when_cuda_is_wanted(checks, monkeypatch):
    monkeypatch.setitem(sys.modules, 'torch', fake_torch('2.13.0+cpu', None))
    assert checks.torch_ok('torch==2.13.0', cuda_wanted=False)
    assert not checks.torch_ok('torch==2.13.0', cuda_wanted=True)
    assert not checks.torch_ok('torch==2.12.0', cuda_wanted=False)
    monkeypatch.setitem(sys.modules, 'torch', fake_torch('2.13.0+cu126',
                                                         '12.6'))
    assert checks.torch_ok('torch==2.13.0', cuda_wanted=True)
    assert checks.torch_ok('torch>=2.0', cuda_wanted=False)


def test_build_key(checks, monkeypatch):
    py = f'cp{sys.version_info[0]}{sys.version_info[1]}'
    monkeypatch.setitem(sys.modules, 'torch', fake_torch('2.13.0+cpu', None))
    assert checks.build_key('2.0.1', {}) == \
        f'mmcv-2.0.1_torch-2.13.0+cpu_{py}_cpu'
    cu = fake_torch('2.13.0+cu126', '12.6')
    monkeypatch.setitem(sys.modules, 'torch', cu)
    # a CUDA torch on a machine without a GPU builds CPU ops unless forced
    assert checks.build_key('2.0.1', {}).endswith('_cpu')
    assert checks.build_key('2.0.1', {'FORCE_CUDA': '1'}) == \
        f'mmcv-2.0.1_torch-2.13.0+cu126_{py}_cu12.6'
    monkeypatch.setitem(sys.modules, 'torch', fake_torch('2.13.0+cu126',
                                                         '12.6', gpu=True))
    assert checks.build_key('2.0.1', {}).endswith('_cu12.6')


def fake_mmcv(monkeypatch, version, compiled_cuda):
    mmcv = types.ModuleType('mmcv')
    mmcv.__version__ = version
    ops = types.ModuleType('mmcv.ops')
    ops.get_compiling_cuda_version = lambda: compiled_cuda
    mmcv.ops = ops
    monkeypatch.setitem(sys.modules, 'mmcv', mmcv)
    monkeypatch.setitem(sys.modules, 'mmcv.ops', ops)


def test_mmcv_counts_only_for_its_build(checks, monkeypatch, tmp_path):
    cpu_key = 'mmcv-2.0.1_torch-2.13.0+cpu_cp311_cpu'
    cu_key = 'mmcv-2.0.1_torch-2.13.0+cu126_cp311_cu12.6'
    marker = tmp_path / '.mmcv-build-key'
    fake_mmcv(monkeypatch, '2.0.1', 'not available')  # a CPU build
    # no marker (a .venv from before markers): inferred from the ops
    assert checks.mmcv_ok('2.0.1', cpu_key, str(marker))
    assert not checks.mmcv_ok('2.0.1', cu_key, str(marker))
    assert not checks.mmcv_ok('2.0.2', cpu_key, str(marker))
    # the marker decides once written: same torch variant but another torch
    marker.write_text(cpu_key + '\n')
    assert checks.mmcv_ok('2.0.1', cpu_key, str(marker))
    assert not checks.mmcv_ok(
        '2.0.1', cpu_key.replace('2.13.0', '2.14.0'), str(marker))
    marker.unlink()
    fake_mmcv(monkeypatch, '2.0.1', '12.6')  # a CUDA build
    assert checks.mmcv_ok('2.0.1', cu_key, str(marker))
    assert not checks.mmcv_ok('2.0.1', cpu_key, str(marker))


def test_this_venv_is_consistent():
    """On the installed .venv: the key names the cached wheel's build and
    the installed mmcv counts for it but not for the other variant."""
    probe = f'''
import importlib.util, json
spec = importlib.util.spec_from_file_location('checks', {CHECKS!r})
checks = importlib.util.module_from_spec(spec)
spec.loader.exec_module(checks)
key = checks.build_key('2.0.1')
variant = key.rsplit('_', 1)[1]
other = key[:-len(variant)] + ('cu12.6' if variant == 'cpu' else 'cpu')
import torch
print(json.dumps([key, torch.__version__,
                  checks.mmcv_ok('2.0.1', key, '/nonexistent'),
                  checks.mmcv_ok('2.0.1', other, '/nonexistent')]))
'''
    out = subprocess.run([sys.executable, '-c', probe], capture_output=True,
                         text=True, check=True).stdout
    import json
    key, torch_version, ok, ok_other = json.loads(out.splitlines()[-1])
    assert key.startswith(f'mmcv-2.0.1_torch-{torch_version}_cp')
    assert ok and not ok_other


def test_want_cuda_cli(tmp_path):
    import os
    env = dict(os.environ, TORCH_INDEX_URL='https://x/whl/cu121')
    env.pop('FORCE_CUDA', None)
    assert subprocess.run([sys.executable, CHECKS, 'want-cuda'],
                          env=env).returncode == 0
    env['TORCH_INDEX_URL'] = ''
    assert subprocess.run([sys.executable, CHECKS, 'want-cuda'],
                          env=env).returncode == 1


STUB = r'''#!/usr/bin/env bash
# stands in for .venv/bin/python: records each call, answers what the setup
# script asks, and installs nothing
echo "$*" >> "$STUB_LOG"
case "$1 $2" in
  *setup_env_checks.py\ want-cuda) exec "$REAL_PYTHON" "$@" ;;
  *setup_env_checks.py\ torch-ok) exit "$STUB_TORCH_OK" ;;
  *setup_env_checks.py\ key) echo "$STUB_KEY"; exit 0 ;;
  *setup_env_checks.py\ mmcv-ok) exit "$STUB_MMCV_OK" ;;
  "-c import sys"*) echo 3.11; exit 0 ;;
  "-c import torch; print"*) echo 2.13.0+cpu; exit 0 ;;
esac
exit 0
'''


@pytest.fixture
def dry_setup(tmp_path):
    """setup_env.sh on a stub .venv python and a cached wheel: runs the
    script's real decisions, installs nothing."""
    import os
    import shutil
    repo = tmp_path / 'repo'
    (repo / 'tools').mkdir(parents=True)
    for name in ('setup_env.sh', 'setup_env_checks.py'):
        shutil.copy(osp.join(REPO, 'tools', name), repo / 'tools')
    py = repo / '.venv' / 'bin' / 'python'
    py.parent.mkdir(parents=True)
    py.write_text(STUB)
    py.chmod(0o755)
    key = 'mmcv-2.0.1_torch-2.13.0+cu126_cp311_cu12.6'
    wheel = tmp_path / 'cache' / 'wheels' / key / 'mmcv-2.0.1-x.whl'
    wheel.parent.mkdir(parents=True)
    wheel.write_bytes(b'')
    log = tmp_path / 'calls.log'

    def run(torch_ok, mmcv_ok, **env):
        log.write_text('')
        base = dict(PATH=os.environ['PATH'], HOME=str(tmp_path),
                    MMSOCO_CACHE=str(tmp_path / 'cache'),
                    MMSOCO_MIN_FREE_GB='0', STUB_LOG=str(log),
                    REAL_PYTHON=sys.executable, STUB_KEY=key,
                    STUB_TORCH_OK=str(torch_ok), STUB_MMCV_OK=str(mmcv_ok))
        proc = subprocess.run(['bash', str(repo / 'tools' / 'setup_env.sh')],
                              env=dict(base, **env), capture_output=True,
                              text=True, timeout=60)
        assert proc.returncode == 0, proc.stdout + proc.stderr
        marker = repo / '.venv' / '.mmcv-build-key'
        return (log.read_text().splitlines(),
                marker.read_text().strip() if marker.exists() else None)

    return run


def test_dry_setup_cpu_venv_switched_to_cuda(dry_setup):
    calls, marker = dry_setup(torch_ok=1, mmcv_ok=1, FORCE_CUDA='1')
    torch_ok = [c for c in calls if ' torch-ok ' in c]
    assert torch_ok and torch_ok[0].endswith('torch==2.13.0 1')
    uninstall = calls.index('-m pip uninstall -y -q torch')
    install = next(i for i, c in enumerate(calls)
                   if c.startswith('-m pip install') and 'torch==2.13.0' in c)
    assert uninstall < install
    wheel = next(c for c in calls if 'mmcv-2.0.1-x.whl' in c)
    assert '--force-reinstall' in wheel
    assert marker == 'mmcv-2.0.1_torch-2.13.0+cu126_cp311_cu12.6'


def test_dry_setup_cpu_rerun_changes_nothing(dry_setup):
    calls, marker = dry_setup(torch_ok=0, mmcv_ok=0)
    assert [c for c in calls if ' torch-ok ' in c][0].endswith(' 0')
    pip = [c for c in calls if c.startswith('-m pip')]
    assert pip and not any('uninstall' in c or 'torch==' in c or '.whl' in c
                           for c in pip), pip
    assert marker is not None  # recorded for the next switch
