"""A write that ran out of space, in one line."""
import errno
from typing import Optional

# the disk, a quota or a file size limit is full
DISK_FULL = (errno.ENOSPC, errno.EDQUOT, errno.EFBIG)


def disk_full_message(exc: BaseException, what: str) -> Optional[str]:
    """One line for an ``OSError`` of a full disk while writing ``what``;
    None for any other error. mmsoco writes files atomically
    (``mmsoco.utils.atomic``), so nothing partial is left under a final
    name."""
    if not isinstance(exc, OSError) or exc.errno not in DISK_FULL:
        return None
    where = f' ({exc.filename})' if exc.filename else ''
    reason = exc.strerror or errno.errorcode.get(exc.errno, 'full')
    return (f'no space left while writing {what}{where}: {reason}; free '
            'space or choose another folder, then rerun the same command '
            '(nothing partial was left under a final name)')


__all__ = ['DISK_FULL', 'disk_full_message']
