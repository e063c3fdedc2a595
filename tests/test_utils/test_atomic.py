"""mmsoco.utils.atomic: the one atomic-write utility."""
import os
import stat

import numpy as np
import pytest

from mmsoco.utils.atomic import atomic_file, atomic_write, is_stale_temp


def test_write_replaces_with_usual_mode(tmp_path):
    path = tmp_path / 'sub' / 'a.json'
    atomic_write(str(path), '{"x": 1}')
    assert path.read_text() == '{"x": 1}'
    mask = os.umask(0)
    os.umask(mask)
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o666 & ~mask
    atomic_write(str(path), b'2')
    assert path.read_bytes() == b'2'
    assert os.listdir(tmp_path / 'sub') == ['a.json']


def test_failure_keeps_the_old_file_and_no_temp(tmp_path):
    path = tmp_path / 'a.npz'
    atomic_write(str(path), b'old')
    with pytest.raises(RuntimeError):
        with atomic_file(str(path)) as tmp:
            assert tmp.endswith('.npz') and os.path.dirname(tmp) == \
                str(tmp_path)
            np.savez(tmp, x=np.arange(3))
            raise RuntimeError('killed')
    assert path.read_bytes() == b'old'
    assert os.listdir(tmp_path) == ['a.npz']


def test_folder_target_is_refused(tmp_path):
    with pytest.raises(IsADirectoryError, match='is a folder'):
        atomic_write(str(tmp_path), b'x')


def test_stale_temp_names():
    assert is_stale_temp('.a.json.tmp-999999999-abcd1234.json')
    assert not is_stale_temp(f'.a.json.tmp-{os.getpid()}-abcd1234.json')
    assert not is_stale_temp('a.json')


def test_publish_dir_puts_a_whole_folder_in_place(tmp_path):
    from mmsoco.utils.atomic import publish_dir
    tmp = tmp_path / '.new'
    tmp.mkdir()
    (tmp / 'a.txt').write_text('a')
    dst = tmp_path / 'final'
    assert publish_dir(str(tmp), str(dst)) == str(dst)
    assert (dst / 'a.txt').read_text() == 'a' and not tmp.exists()
    tmp.mkdir()
    with pytest.raises(OSError):  # an existing, non-empty target stays
        (dst / 'b.txt').write_text('b')
        publish_dir(str(tmp), str(dst))
    assert (dst / 'a.txt').read_text() == 'a'
