"""One run per output: an exclusive lock file naming its holder.

The lock is a small JSON file (PID, host, role, start time) held with
``flock``: the kernel releases it when its process dies, however it dies, so
the lock of a killed run is taken over by the next one (which says so), and
a second live run is refused at once with one line naming the holder. On a
file system without ``flock`` the PID is checked instead (same host: is the
process alive; another host: held). A lock file is removed by its holder on
release; a file of that name that is not such a lock is never touched.

A forked child (a proposals worker) does not keep its parent's lock: the
lock's descriptor is closed in every child at fork, so a worker that
outlives a killed run for a moment does not hold the run's output.
"""
import errno
import fcntl
import json
import os
import socket
import time
from typing import Optional, Sequence

from mmsoco.utils.atomic import pid_alive
from .progress import log as _log

MARK = 'mmsoco-proposals-lock'
_NO_FLOCK = (errno.ENOLCK, errno.ENOSYS, errno.EOPNOTSUPP, errno.EINVAL)
# how long a lock whose holder has not written its record yet counts as
# "being taken" rather than busy (seen: two shards finishing together, one
# refused while the other's merge lock was still empty)
STARTING_GRACE_S = 5.0
# descriptors of the locks this process holds, closed in forked children
_HELD = set()


def _close_held_in_child() -> None:
    for fd in _HELD:
        try:
            os.close(fd)
        except OSError:
            pass
    _HELD.clear()


os.register_at_fork(after_in_child=_close_held_in_child)


class LockBusy(RuntimeError):
    """Another live process holds the lock; ``holder`` is its record."""

    def __init__(self, path: str, holder: Optional[dict], what: str = ''):
        self.path, self.holder = path, holder or {}
        h = self.holder
        who = (f'PID {h.get("pid")} on {h.get("host")} ({h.get("role")}, '
               f'since {h.get("since")})' if h.get('pid') else
               'a process that is starting')
        super().__init__(
            f'{what or path} is in use by another run: {who} holds '
            f'{path}; wait for it to finish (or stop it), then rerun')


def holder_of(path: str) -> Optional[dict]:
    """The record of the live process holding ``path``, else None."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return None
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        except BlockingIOError:
            return _read(fd) or {}
        except OSError as e:
            if e.errno not in _NO_FLOCK:
                raise
            rec = _read(fd)
            return rec if rec and _alive(rec) else None
        fcntl.flock(fd, fcntl.LOCK_UN)
        return None
    finally:
        os.close(fd)


class RunLock:
    """``with RunLock(path, role):`` holds ``path`` exclusively.

    ``acquire`` raises LockBusy when a live process holds it (after waiting
    up to ``wait_s`` while the holder's role is one of ``wait_roles``: short
    steps such as preparing the work folder) and FileExistsError when
    ``path`` exists and is not a lock of this tool.
    """

    def __init__(self, path: str, role: str, what: str = '', logger=None,
                 wait_s: float = 0.0, wait_roles: Sequence[str] = ()):
        self.path, self.role, self.what = path, role, what
        self.logger, self.wait_s, self.wait_roles = logger, wait_s, wait_roles
        self.fd: Optional[int] = None

    def __enter__(self) -> 'RunLock':
        return self.acquire()

    def __exit__(self, *exc) -> None:
        self.release()

    def acquire(self) -> 'RunLock':
        start = time.monotonic()
        deadline = start + self.wait_s
        while True:
            try:
                return self._try()
            except LockBusy as e:
                now = time.monotonic()
                if not e.holder and now < start + STARTING_GRACE_S:
                    # taken a moment ago, its record not written yet: its
                    # role (perhaps one to wait for) is known in a moment
                    time.sleep(0.05)
                    continue
                if now >= deadline or \
                        e.holder.get('role') not in self.wait_roles:
                    raise
                time.sleep(0.1)

    def _try(self) -> 'RunLock':
        os.makedirs(os.path.dirname(os.path.abspath(self.path)), exist_ok=True)
        for _ in range(10):  # the file may be replaced under us; retry
            fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
            try:
                old = _read(fd)
                if old is None:
                    raise FileExistsError(
                        f'{self.path} exists and is not a lock of '
                        'tools/generate_proposals.py; move it away')
                try:
                    fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                except BlockingIOError:
                    raise LockBusy(self.path, _read(fd), self.what)
                except OSError as e:  # no flock here: trust the PID
                    if e.errno not in _NO_FLOCK:
                        raise
                    if old and _alive(old):
                        raise LockBusy(self.path, old, self.what)
                st = os.stat(self.path)
                if st.st_ino != os.fstat(fd).st_ino:
                    raise FileNotFoundError  # released and replaced: retry
                if old.get('pid'):
                    _log(self.logger, f'took over the lock {self.path} of '
                         f'PID {old["pid"]} on {old.get("host")}, which is '
                         'no longer running')
                rec = dict(made_by=MARK, pid=os.getpid(),
                           host=socket.gethostname(), role=self.role,
                           since=time.strftime('%Y-%m-%d %H:%M:%S'))
                os.ftruncate(fd, 0)
                os.pwrite(fd, json.dumps(rec).encode(), 0)
                os.fsync(fd)
                self.fd, fd = fd, None
                _HELD.add(self.fd)
                return self
            except FileNotFoundError:
                continue
            finally:
                if fd is not None:
                    os.close(fd)
        raise LockBusy(self.path, None, self.what)

    def release(self) -> None:
        if self.fd is None:
            return
        try:
            if os.stat(self.path).st_ino == os.fstat(self.fd).st_ino:
                os.unlink(self.path)
        except OSError:
            pass
        _HELD.discard(self.fd)
        os.close(self.fd)
        self.fd = None


def _read(fd: int) -> Optional[dict]:
    """{} for an empty file, the record for a lock, None for anything
    else."""
    data = os.pread(fd, 4096, 0)
    if not data.strip():
        return {}
    try:
        rec = json.loads(data)
    except ValueError:
        return None
    return rec if isinstance(rec, dict) and rec.get('made_by') == MARK \
        else None


def _alive(rec: dict) -> bool:
    if rec.get('host') != socket.gethostname():
        return True  # cannot tell: another host's process may be running
    return isinstance(rec.get('pid'), int) and pid_alive(rec['pid'])


__all__ = ['RunLock', 'LockBusy', 'holder_of', 'MARK']
