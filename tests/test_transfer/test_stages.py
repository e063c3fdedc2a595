"""A chain stage's recorded settings: reused when the same, resumed when
unfinished, rerun from scratch (naming what changed) when different."""
import json
import os

from mmsoco.transfer.stages import StageRecord, file_identity


def test_stage_record_reuse_resume_rerun(tmp_path):
    work, folder = str(tmp_path), tmp_path / 'pretrain'
    rec = StageRecord(work, 'pretrain', dict(iters=4, config='a.py'),
                      folder=str(folder))
    assert rec.result() is None
    assert rec.start() == []
    folder.mkdir()
    (folder / 'iter_2.pth').write_text('partial')
    # interrupted: the same settings resume in the same folder
    again = StageRecord(work, 'pretrain', dict(config='a.py', iters=4),
                        folder=str(folder))
    assert again.result() is None and again.start() == []
    assert (folder / 'iter_2.pth').exists()
    again.finish('pretrain/iter_4.pth')
    assert StageRecord(work, 'pretrain', dict(iters=4, config='a.py'),
                       str(folder)).result() == 'pretrain/iter_4.pth'
    # other settings: no result, the change is named, the folder cleared
    other = StageRecord(work, 'pretrain', dict(iters=8, config='a.py'),
                        folder=str(folder))
    assert other.result() is None
    assert other.start() == ['iters 4 -> 8']
    assert not folder.exists()
    saved = json.loads((tmp_path / 'stages' / 'pretrain.json').read_text())
    assert saved == {'settings': {'config': 'a.py', 'iters': 8}}


def test_a_folder_without_record_is_not_trusted(tmp_path):
    folder = tmp_path / 'finetune_random'
    folder.mkdir()
    (folder / 'metrics.json').write_text('{}')
    rec = StageRecord(str(tmp_path), 'finetune_random', dict(seed=0),
                      folder=str(folder))
    assert rec.result() is None
    assert rec.start() == ['(no record of how it was made)']
    assert not folder.exists()


def test_file_identity_changes_with_the_file(tmp_path):
    path = tmp_path / 'ckpt.pth'
    path.write_bytes(b'1')
    first = file_identity(str(path))
    path.write_bytes(b'22')
    os.utime(path, ns=(1, 1))
    assert file_identity(str(path)) != first
    assert file_identity('') is None
