"""A work dir of reused results refuses other settings in one line."""
import json

from mmsoco.utils.work_dir_settings import settings_mismatch


def test_first_use_records_then_same_settings_reuse(tmp_path):
    work = tmp_path / 'w'
    mine = dict(iters=300, batch=16, sizes=(2000, 300, 300))
    assert settings_mismatch(str(work), mine) is None
    assert json.loads((work / 'settings.json').read_text()) == dict(
        iters=300, batch=16, sizes=[2000, 300, 300])
    assert settings_mismatch(str(work), mine) is None  # tuples as lists


def test_other_settings_are_named(tmp_path):
    settings_mismatch(str(tmp_path), dict(iters=300, lr_factor=1.0))
    problem = settings_mismatch(str(tmp_path), dict(iters=300, lr_factor=4.0,
                                                    draws=10))
    assert problem == (f'{tmp_path} holds results of other settings '
                       '(draws, lr_factor differ): pass another work dir, '
                       'or the same settings')
