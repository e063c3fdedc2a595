"""Atomic file writes: the one way mmsoco puts a file in place.

A writer gets a temporary path beside the target (same folder, so the final
rename never crosses a file system), writes it however it likes (``open``,
``np.savez``, ``torch.save``, ``cv2.imwrite``, ``fig.savefig``), and on a
clean exit the file is fsynced, given the usual mode (0644 less the umask,
not mkstemp's 0600), renamed over the target and the folder fsynced. On an
exception or a kill the target is untouched: either the old file or the new
one is there, never half of one. The temporary name keeps the target's
extension (writers that pick a format from it) and holds the writer's PID
(``.<name>.tmp-<pid>-<random><ext>``) so a later run can tell a stale one.
"""
import contextlib
import os
import os.path as osp
import secrets
from typing import Callable, Iterator, Optional, Union

_TMP_TAG = '.tmp-'


def fsync_path(path: str) -> None:
    """Flush a file's data (or a folder's entries) to the disk."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    except OSError:
        if not osp.isdir(path):  # some file systems cannot sync folders
            raise
    finally:
        os.close(fd)


def pid_alive(pid: int) -> bool:
    """Whether a process with this PID exists on this host."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def temp_path(path: str) -> str:
    """A fresh temporary path beside ``path``, keeping its extension."""
    folder, name = osp.split(osp.abspath(path))
    ext = osp.splitext(name)[1]
    return osp.join(folder, f'.{name}{_TMP_TAG}{os.getpid()}-'
                    f'{secrets.token_hex(4)}{ext}')


def is_stale_temp(name: str) -> bool:
    """``name`` is a temporary file of this module whose writer is gone."""
    _, sep, tail = name.partition(_TMP_TAG)
    pid = tail.split('-', 1)[0]
    return bool(sep) and name.startswith('.') and pid.isdigit() and \
        not pid_alive(int(pid))


@contextlib.contextmanager
def atomic_file(path: str, mode: int = 0o666) -> Iterator[str]:
    """Yield a temporary path; on success it replaces ``path`` atomically.

    ``path`` must not be an existing folder (IsADirectoryError before any
    work). ``mode`` is applied less the process umask (0644 by default).
    """
    path = osp.abspath(path)
    if osp.isdir(path):
        raise IsADirectoryError(f'{path} is a folder; give a file path')
    os.makedirs(osp.dirname(path), exist_ok=True)
    tmp = temp_path(path)
    try:
        yield tmp
        if not osp.isfile(tmp):
            raise FileNotFoundError(f'nothing was written to {tmp}')
        os.chmod(tmp, mode & ~_umask())
        fsync_path(tmp)
        os.replace(tmp, path)
        fsync_path(osp.dirname(path))
    finally:
        if osp.lexists(tmp):
            os.remove(tmp)


def atomic_write(path: str, data: Union[str, bytes],
                 mode: int = 0o666) -> str:
    """Write text (UTF-8) or bytes to ``path`` atomically; returns ``path``."""
    raw = data.encode('utf-8') if isinstance(data, str) else data
    with atomic_file(path, mode) as tmp:
        with open(tmp, 'wb') as f:
            f.write(raw)
    return path


def publish_dir(tmp: str, dst: str,
                discard: Optional[Callable[[str], None]] = None) -> str:
    """Put a finished folder ``tmp`` in place at ``dst``: its files and
    entries are fsynced, it is renamed in one step and the parent's entry
    fsynced, so ``dst`` is either absent (or the old folder) or complete.

    ``dst`` must not exist, unless ``discard`` is given: then an existing
    ``dst`` is first renamed aside (``<dst>.old-<tmp's name>``) and, once
    ``tmp`` is in place, handed to ``discard`` to delete it.
    """
    for name in os.listdir(tmp):
        if osp.isfile(osp.join(tmp, name)):
            fsync_path(osp.join(tmp, name))
    fsync_path(tmp)
    if discard is not None and osp.lexists(dst):
        old = dst.rstrip(os.sep) + '.old-' + osp.basename(tmp)
        os.rename(dst, old)
        os.rename(tmp, dst)
        fsync_path(osp.dirname(osp.abspath(dst)))
        discard(old)
    else:
        os.rename(tmp, dst)
    fsync_path(osp.dirname(osp.abspath(dst)))
    return dst


__all__ = ['atomic_file', 'atomic_write', 'fsync_path', 'pid_alive',
           'temp_path', 'is_stale_temp', 'publish_dir']
