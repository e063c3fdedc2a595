"""mmsoco.engine.resume: which checkpoint --resume takes, and the command
that continues an interrupted run."""
import pytest
import torch
from mmengine.config import Config

from mmsoco.engine.resume import resume_advice, resume_source, set_resume
from mmsoco.engine.train_errors import UsageError


def test_set_resume(tmp_path):
    cfg = Config(dict(work_dir=str(tmp_path)))
    set_resume(cfg, None)
    assert 'resume' not in cfg
    set_resume(cfg, 'auto')
    assert cfg.resume is True and cfg.load_from is None
    assert resume_source(cfg) is None  # nothing saved yet
    ckpt = tmp_path / 'iter_2.pth'
    torch.save(dict(state_dict={}), str(ckpt))
    assert resume_source(cfg) == str(ckpt)
    set_resume(cfg, str(ckpt))
    assert cfg.load_from == str(ckpt)
    text = tmp_path / 'notes.txt'
    text.write_text('not a checkpoint')
    with pytest.raises(UsageError, match='notes.txt.*not a checkpoint'):
        set_resume(cfg, str(text))
    with pytest.raises(UsageError, match='missing.pth.*not found'):
        set_resume(cfg, str(tmp_path / 'missing.pth'))


def test_resume_advice(tmp_path):
    argv = ['configs/x.py', '--resume', '--work-dir', str(tmp_path)]
    assert resume_advice(argv, 'none', str(tmp_path)).startswith(
        'no checkpoint saved yet')
    torch.save(dict(state_dict={}), str(tmp_path / 'iter_4.pth'))
    advice = resume_advice(argv, 'none', str(tmp_path))
    assert advice == (f'resume from {tmp_path / "iter_4.pth"} with: python '
                      f'tools/train.py configs/x.py --work-dir {tmp_path} '
                      '--resume')
    assert 'tools/dist_train.sh with the same arguments' in resume_advice(
        argv, 'pytorch', str(tmp_path))
