"""tools/setup_env.sh refuses, with a message saying what to do, to start on
an unsupported Python, without a C++ compiler, or on a full disk."""
import os
import os.path as osp
import shutil
import subprocess

import pytest

from ..helpers import REPO

TOOLS = ('bash', 'dirname', 'mkdir', 'df', 'awk', 'cat', 'mktemp', 'rm')


@pytest.fixture
def sandbox(tmp_path):
    """A repo copy without .venv and a PATH with only the basic tools."""
    (tmp_path / 'repo' / 'tools').mkdir(parents=True)
    shutil.copy(osp.join(REPO, 'tools', 'setup_env.sh'),
                tmp_path / 'repo' / 'tools')
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    for tool in TOOLS:
        os.symlink(shutil.which(tool), bin_dir / tool)
    return tmp_path


def fake_python(sandbox, version):
    path = sandbox / 'bin' / 'python3.11'
    path.write_text(f'#!/bin/sh\necho {version}\n')
    path.chmod(0o755)


def run_setup(sandbox, **env):
    env = dict(PATH=str(sandbox / 'bin'), HOME=str(sandbox),
               MMSOCO_CACHE=str(sandbox / 'cache'), **env)
    return subprocess.run(
        ['bash', str(sandbox / 'repo' / 'tools' / 'setup_env.sh')], env=env,
        capture_output=True, text=True, timeout=60)


def test_unsupported_python(sandbox):
    fake_python(sandbox, '3.13')
    proc = run_setup(sandbox)
    assert proc.returncode != 0
    assert 'Python 3.13' in proc.stderr and '3.9-3.11' in proc.stderr
    assert not (sandbox / 'repo' / '.venv').exists()


def test_missing_compiler(sandbox):
    fake_python(sandbox, '3.11')
    proc = run_setup(sandbox, CXX='no-such-compiler')
    assert proc.returncode != 0
    assert 'no C++ compiler' in proc.stderr and 'g++' in proc.stderr


def test_too_little_disk(sandbox):
    fake_python(sandbox, '3.11')
    os.symlink(shutil.which('g++'), sandbox / 'bin' / 'g++')
    proc = run_setup(sandbox, MMSOCO_MIN_FREE_GB='1000000')
    assert proc.returncode != 0
    assert 'GB free' in proc.stderr and 'Free some space' in proc.stderr
