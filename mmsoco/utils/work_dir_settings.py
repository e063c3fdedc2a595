"""A work dir whose finished steps are reused holds the results of one set
of settings: the first run records them in ``settings.json``, a later run
with other settings is refused, since its reused results would be reported
as the new settings'."""
import json
import os
import os.path as osp
from typing import Optional

from .atomic import atomic_write

FILE = 'settings.json'


def settings_mismatch(work_dir: str, settings: dict) -> Optional[str]:
    """None when ``work_dir`` holds results of ``settings`` (recording
    them there on first use), else one line naming the settings that
    differ. ``settings`` must be JSON values (lists, not tuples)."""
    path = osp.join(work_dir, FILE)
    if not osp.isfile(path):
        os.makedirs(work_dir, exist_ok=True)
        atomic_write(path, json.dumps(settings, indent=1, sort_keys=True))
        return None
    with open(path, encoding='utf-8') as f:
        theirs = json.load(f)
    mine = json.loads(json.dumps(settings))  # tuples compare as lists
    if theirs == mine:
        return None
    diff = sorted(k for k in set(mine) | set(theirs)
                  if theirs.get(k) != mine.get(k))
    return (f'{work_dir} holds results of other settings ({", ".join(diff)} '
            'differ): pass another work dir, or the same settings')
