"""The settings of each transfer-chain stage, recorded in the work dir.

Each stage (proposals, pretraining, export, one fine-tune) records the
settings it runs with in ``WORK_DIR/stages/<stage>.json`` before it starts,
and its result in the same file when it ends. A rerun of the chain compares
its settings with the recorded ones:

* the same settings and a result: the stage is reused;
* the same settings, no result (an interrupted stage): it is resumed;
* other settings: the stage runs again from scratch (its folder is
  cleared), and the settings that changed are named (``iters 4 -> 8``).

Files a stage reads (a checkpoint to start from) enter its settings through
:func:`file_identity`, so a stage reruns when an earlier stage's output
changed.
"""
import json
import os
import os.path as osp
import shutil
from typing import Any, List, Mapping, Optional

from mmsoco.utils.atomic import atomic_write


def file_identity(path: str) -> Optional[dict]:
    """Path, size and modification time of ``path`` (None for '')."""
    if not path:
        return None
    st = os.stat(path)
    return dict(path=osp.abspath(path), size=st.st_size,
                mtime_ns=st.st_mtime_ns)


def _canonical(obj: Any) -> Any:
    # tuples and lists compare equal once written as JSON
    return json.loads(json.dumps(obj, sort_keys=True, default=str))


def _show(value: Any) -> str:
    # a file identity shows as its path
    if isinstance(value, dict) and 'path' in value:
        return value['path']
    return repr(value)


def changed_settings(old: Mapping, new: Mapping) -> List[str]:
    """``key old -> new`` (or ``key FILE changed``) for every setting that
    differs."""
    out = []
    for k in sorted(set(old) | set(new)):
        if old.get(k) == new.get(k):
            continue
        a, b = _show(old.get(k)), _show(new.get(k))
        out.append(f'{k} {b} changed' if a == b else f'{k} {a} -> {b}')
    return out


class StageRecord:
    """The record of stage ``name`` of the chain in ``work_dir``.

    Args:
        work_dir: the chain's work dir (records go to ``stages/``).
        name: the stage, e.g. ``pretrain`` or ``finetune_random``.
        settings: everything the stage's result depends on (JSON-able).
        folder: the stage's own output folder, cleared when the settings
            changed (None: the stage clears its output itself).
    """

    def __init__(self, work_dir: str, name: str, settings: Mapping,
                 folder: Optional[str] = None):
        self.name = name
        self.path = osp.join(work_dir, 'stages', f'{name}.json')
        self.settings = _canonical(dict(settings))
        self.folder = folder
        self.had_record = False

    def _read(self) -> Optional[dict]:
        try:
            with open(self.path) as f:
                return json.load(f)
        except (OSError, ValueError):
            return None

    def result(self) -> Optional[Any]:
        """The recorded result of a finished run with these settings."""
        rec = self._read()
        if not rec or rec.get('settings') != self.settings:
            return None
        return rec.get('result')

    def start(self) -> List[str]:
        """Record these settings before the stage runs. Returns the
        settings that changed since the recorded run (then the stage's
        folder is cleared), or [] for a first or resumed run."""
        rec = self._read()
        self.had_record = rec is not None
        changed = []
        if rec and rec.get('settings') != self.settings:
            changed = changed_settings(rec.get('settings') or {},
                                       self.settings)
        elif rec is None and self.folder and osp.isdir(self.folder) and \
                os.listdir(self.folder):
            changed = ['(no record of how it was made)']
        if changed and self.folder and osp.isdir(self.folder):
            shutil.rmtree(self.folder)
        self._write(dict(settings=self.settings))
        return changed

    def finish(self, result: Any) -> Any:
        """Record the stage's ``result`` (JSON-able) and return it."""
        self._write(dict(settings=self.settings, result=_canonical(result)))
        return result

    def _write(self, rec: dict) -> None:
        os.makedirs(osp.dirname(self.path), exist_ok=True)
        atomic_write(self.path, json.dumps(rec, indent=1, sort_keys=True))
