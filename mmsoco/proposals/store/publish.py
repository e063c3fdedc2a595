"""Atomic publishing of a store folder, and what a store may replace.

A store is built in a temporary folder beside its destination
(``.<name>.tmp-<host>-<pid>-<random>``), every file and the folder are
fsynced, and the folder is renamed into place, so a store is either complete
or absent, also after a power cut. Only a proposal store (or an empty folder)
is ever replaced: anything else at the destination is refused, never
deleted, and a store is replaced only when it holds nothing but the files
its writer listed in its ``meta.json`` (a file a user put inside stops the
replacement, named in the message). Temporary folders of killed writers
are recognised by their name (host and PID of the writer) and removed by
the next run.
"""
import contextlib
import os
import os.path as osp
import re
import shutil
import socket
import tempfile
import time
from typing import Iterator, List, Optional

from mmsoco.utils.atomic import pid_alive, publish_dir
from .format import META_FILE, is_store, read_meta, written_files


def foreign_files(path: str) -> List[str]:
    """The entries of the store at ``path`` that its writer did not put
    there (sorted)."""
    meta = read_meta(path) or {}
    ours = written_files(meta)
    return sorted(n for n in os.listdir(path) if n not in ours)


def replaceable(path: str, replacing: bool = True) -> Optional[str]:
    """None if a store may be written at ``path`` (absent, an empty folder
    or a proposal store holding only its own files; with ``replacing``
    False, any proposal store), else why not, in a few words."""
    if not osp.lexists(path):
        return None
    if osp.islink(path):
        return 'is a symbolic link'
    if not osp.isdir(path):
        return 'exists and is not a folder'
    if not os.listdir(path):
        return None
    if not is_store(path):
        return 'exists and is not a proposal store (no mmsoco meta.json)'
    foreign = foreign_files(path) if replacing else []
    if foreign:
        names = ', '.join(osp.join(path, n) for n in foreign[:3])
        more = f' and {len(foreign) - 3} more' if len(foreign) > 3 else ''
        return (f'holds files this tool did not write ({names}{more}); '
                'only a store\'s own files are ever replaced: move them out '
                'of it, or choose a new output path')
    return None


def check_replaceable(path: str, replacing: bool = True) -> None:
    """FileExistsError (one line naming the path or the files that stop
    it) unless :func:`replaceable`."""
    why = replaceable(path, replacing)
    if why and why.startswith('holds files'):
        raise FileExistsError(f'output {path} {why}')
    if why:
        raise FileExistsError(
            f'output {path} {why}; it is never overwritten: choose a new '
            'output path or remove it yourself')


@contextlib.contextmanager
def publishing(out_path: str) -> Iterator[str]:
    """Yield a fresh temporary folder; once the body returns, its files and
    the folder are fsynced and it replaces ``out_path`` atomically. On an
    exception the temporary folder is removed and ``out_path`` untouched."""
    check_replaceable(out_path)
    out_path = osp.abspath(out_path)
    parent = osp.dirname(out_path)
    os.makedirs(parent, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix=_temp_prefix(out_path) + _temp_owner(),
                           dir=parent)
    try:
        yield tmp
        os.chmod(tmp, 0o755)
        check_replaceable(out_path)
        publish_dir(tmp, out_path, discard=_discard)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _temp_prefix(out_path: str) -> str:
    return f'.{osp.basename(out_path)}.tmp-'


def _temp_owner() -> str:
    return f'{socket.gethostname()}-{os.getpid()}-'


def clean_stale_temps(out_path: str, max_age_s: float = 24 * 3600
                      ) -> List[str]:
    """Remove temporary folders left beside ``out_path`` by a killed write.

    These are ``.<name>.tmp-<host>-<pid>-<random>`` (a store being written)
    and ``<name>.old-.<name>.tmp-...`` (the store it was replacing). One is
    stale when its writer ran on this host and is gone or, written on another
    host (a shared file system), when it is older than ``max_age_s``. Only
    folders of plain files are touched. Returns the removed paths.
    """
    out_path = osp.abspath(out_path)
    parent, base = osp.dirname(out_path), osp.basename(out_path)
    if not osp.isdir(parent):
        return []
    tmp_re = re.compile(r'(?:%s\.old-)?\.%s\.tmp-(?:(.+)-(\d+)-)?[a-z0-9_]{8}'
                        % (re.escape(base), re.escape(base)))
    host, removed = socket.gethostname(), []
    for name in sorted(os.listdir(parent)):
        m = tmp_re.fullmatch(name)
        path = osp.join(parent, name)
        if m is None or osp.islink(path) or not osp.isdir(path):
            continue
        try:
            if any(not e.is_file(follow_symlinks=False)
                   for e in os.scandir(path)):
                continue  # not one of ours: leave it alone
            if m.group(1) == host:
                stale = not pid_alive(int(m.group(2)))
            else:
                stale = time.time() - osp.getmtime(path) > max_age_s
        except OSError:
            continue
        if stale:
            shutil.rmtree(path, ignore_errors=True)
            removed.append(path)
    return removed


def _discard(old: str) -> None:
    """Delete the store that was just replaced: only the files its writer
    listed, ``meta.json`` last, then the folder if that left it empty."""
    names = written_files(read_meta(old) or {})
    for name in sorted(names, key=lambda n: n == META_FILE):
        path = osp.join(old, name)
        if osp.isfile(path) and not osp.islink(path):
            os.remove(path)
    try:
        os.rmdir(old)
    except OSError:
        pass  # something else appeared in it: left for the user


__all__ = ['foreign_files', 'replaceable', 'check_replaceable', 'publishing',
           'clean_stale_temps']
