"""mmsoco.utils.atomic_checkpoints: complete files under final names, and
the checkpoint a resume takes."""
import os

import pytest
import torch

from mmsoco.utils import atomic_checkpoints as ac


def save(path, value=1.0):
    ac.save_checkpoint(dict(state_dict=dict(w=torch.full((4, ), value))),
                       str(path))


def test_save_is_atomic(tmp_path, monkeypatch):
    path = tmp_path / 'iter_1.pth'
    save(path, 1.0)

    def disk_full(tmp, data):
        with open(tmp, 'wb') as f:
            f.write(bytes(data)[:10])
        raise OSError(28, 'No space left on device', tmp)

    monkeypatch.setattr(ac, 'write_bytes', disk_full)
    with pytest.raises(OSError):
        save(path, 2.0)
    assert os.listdir(tmp_path) == ['iter_1.pth']  # no temporary file
    loaded = torch.load(str(path), weights_only=True)
    assert torch.equal(loaded['state_dict']['w'], torch.ones(4))


def test_latest_checkpoint(tmp_path):
    assert ac.latest_checkpoint(str(tmp_path)) is None
    for step in (1, 2):
        save(tmp_path / f'iter_{step}.pth')
    record = tmp_path / 'last_checkpoint'
    # no record: the newest complete one
    assert ac.latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_2.pth')
    # the record names a newer complete file
    save(tmp_path / 'iter_3.pth')
    record.write_text(str(tmp_path / 'iter_3.pth'))
    assert ac.latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_3.pth')
    # a later complete file than the record (killed before the record)
    record.write_text(str(tmp_path / 'iter_2.pth'))
    assert ac.latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_3.pth')
    # a missing or partial file named: the newest complete one instead
    (tmp_path / 'iter_4.pth').write_bytes(
        (tmp_path / 'iter_3.pth').read_bytes()[:100])
    record.write_text(str(tmp_path / 'iter_4.pth'))
    assert ac.latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_3.pth')
    record.write_text(str(tmp_path / 'iter_9.pth'))
    assert ac.latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_3.pth')


def test_stale_temporary_files_are_removed(tmp_path):
    dead = tmp_path / '.iter_2.pth.tmp-999999999-abcd.pth'
    mine = tmp_path / f'.iter_3.pth.tmp-{os.getpid()}-abcd.pth'
    for p in (dead, mine):
        p.write_bytes(b'x')
    ac.remove_stale_temps(str(tmp_path))
    assert not dead.exists() and mine.exists()
