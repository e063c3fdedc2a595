"""tools/export_weights.py never destroys a checkpoint and refuses outputs
it cannot write, in one line; exports get the usual file mode."""
import hashlib
import os
import os.path as osp
import shutil
import stat
import subprocess
import sys

import pytest

from tests.helpers import EXPORT, REPO, save_pretrain_ckpt
from tests.soco_tiny import tiny_soco_cfg


@pytest.fixture(scope='module')
def ckpt(tmp_path_factory):
    path = tmp_path_factory.mktemp('run') / 'iter_3.pth'
    save_pretrain_ckpt(tiny_soco_cfg(), path)
    return path


def export(args, env, umask=0o022):
    return subprocess.run([sys.executable, EXPORT, *map(str, args)],
                          capture_output=True, text=True, env=env, cwd=REPO,
                          preexec_fn=lambda: os.umask(umask), timeout=300)


def digest(path):
    return hashlib.sha256(open(path, 'rb').read()).hexdigest()


def assert_refused(proc, *needles):
    assert proc.returncode != 0
    assert 'Traceback' not in proc.stderr, proc.stderr[-2000:]
    lines = proc.stderr.strip().splitlines()
    assert lines[-1].startswith('error: '), proc.stderr[-2000:]
    for needle in needles:
        assert needle in lines[-1], lines[-1]


def test_output_equal_to_input_is_refused(ckpt, tmp_path, tool_env):
    before = digest(ckpt)
    assert_refused(export([ckpt, ckpt], tool_env),
                   'is the input checkpoint', 'iter_3_mmdet.pth')
    assert digest(ckpt) == before


def test_output_that_is_a_training_checkpoint_is_refused(ckpt, tmp_path,
                                                         tool_env):
    other = tmp_path / 'iter_2.pth'
    shutil.copy(ckpt, other)
    before = digest(other)
    assert_refused(export([ckpt, other], tool_env),
                   'is a training checkpoint (at iteration 3)')
    assert digest(other) == before


def test_export_targets(ckpt, tmp_path):
    """The checks export_weights.py runs before converting anything."""
    from mmsoco.transfer import ExportError, check_export_target
    link = tmp_path / 'link.pth'  # the input under another name
    link.symlink_to(ckpt)
    with pytest.raises(ExportError, match='is the input checkpoint'):
        check_export_target(str(link), str(ckpt))
    with pytest.raises(ExportError, match='is a folder: give a file name, '
                       'e.g. .*_mmdet.pth'):
        check_export_target(str(tmp_path), str(ckpt))
    a_file = tmp_path / 'notes.txt'
    a_file.write_text('mine')
    with pytest.raises(ExportError, match=f'{a_file} is a file, not a '
                       'folder'):
        check_export_target(str(a_file / 'sub' / 'x.pth'), str(ckpt))
    check_export_target(str(tmp_path / 'new' / 'x.pth'), str(ckpt))
    check_export_target(str(a_file), str(ckpt))  # not a checkpoint


def test_export_mode_and_rerun(ckpt, tmp_path, tool_env):
    """Written 0644 under the usual umask (not mkstemp's 0600), like
    torch.save's checkpoints; rerunning over one's own export is fine."""
    out = tmp_path / 'deep' / 'soco_mmdet.pth'
    proc = export([ckpt, out], tool_env)
    assert proc.returncode == 0, proc.stderr[-2000:]
    assert stat.S_IMODE(out.stat().st_mode) == 0o644
    from mmsoco.transfer import export_checkpoint, save_export
    exported = export_checkpoint(str(ckpt))
    old = os.umask(0o027)
    try:
        save_export(exported, str(out), source_path=str(ckpt))  # rerun
        save_export(exported, str(tmp_path / 'd2.pkl'), fmt='detectron2')
    finally:
        os.umask(old)
    assert stat.S_IMODE(out.stat().st_mode) == 0o640
    assert stat.S_IMODE((tmp_path / 'd2.pkl').stat().st_mode) == 0o640
    assert not list(tmp_path.rglob('.tmp_*'))


def test_disk_full_while_writing_the_export(ckpt, tmp_path, tool_env):
    """A file size limit makes the write fail as a full disk would: one
    line, exit 2, nothing under the output name or a temporary one."""
    import resource
    import signal

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG, not a kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (4096, 4096))

    out = tmp_path / 'out' / 'soco_mmdet.pth'
    proc = subprocess.run([sys.executable, EXPORT, str(ckpt), str(out)],
                          capture_output=True, text=True, env=tool_env,
                          cwd=REPO, preexec_fn=small_files, timeout=300)
    assert_refused(proc, 'no space left while writing', str(out))
    assert proc.returncode == 2
    assert os.listdir(out.parent) == []
