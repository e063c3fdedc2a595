"""Image entries stay inside their image root.

Every file name that comes from a file rather than from the user's command
line (a COCO ``file_name``, a VIA or labelme image name, a proposal store's
key, a list file's line) is checked here before anything is opened:

- a relative entry is taken below the root and may not contain a ``..``
  component (``a/../b.jpg`` too: the system resolves ``a/..`` through a
  symbolic link ``a``, so only a path without ``..`` is sure to stay
  below the root);
- an absolute entry must lie inside the root (as given, or after resolving
  the root's own links); it becomes the relative key;
- an empty entry, ``.``, or one holding a NUL byte is refused.

Symbolic links *inside* the root are followed, also to files or folders
outside it: the root's contents are the user's own choice (a data folder of
links is common, and the folder listing follows links too), while a file of
names cannot create links. So an entry reaches outside the root only
through a link the user put there.
"""
import os
import os.path as osp

from .errors import ImageSetError


class OutsideRootError(ImageSetError):
    """An image entry that names a path outside its image root."""


def is_below(path: str, folder: str) -> bool:
    """``path`` is ``folder`` or below it, by name (give both normalised,
    e.g. both real paths)."""
    return path == folder or path.startswith(folder.rstrip(os.sep) + os.sep)


def key_in_root(entry: str, root: str, source: str = '') -> str:
    """The '/'-separated key of ``entry`` below ``root``, or
    OutsideRootError (one line naming the entry, ``source`` and the fix)."""
    where = f'{source}: ' if source else ''
    fix = 'give paths relative to the image root, without ".."'
    if not isinstance(entry, str) or not entry or '\0' in entry:
        raise OutsideRootError(f'{where}image entry {entry!r} is not a file '
                               f'path; {fix}')
    if osp.isabs(entry):
        path = osp.normpath(entry)
        for base in (osp.abspath(root), osp.realpath(root)):
            if is_below(path, base) and path != base:
                return osp.relpath(path, base).replace(os.sep, '/')
        raise OutsideRootError(f'{where}image entry {entry!r} is outside the '
                               f'image root {root}; {fix}')
    parts = entry.replace(os.sep, '/').split('/')
    if '..' in parts:
        raise OutsideRootError(f'{where}image entry {entry!r} is outside the '
                               f'image root {root} (".."); {fix}')
    key = '/'.join(p for p in parts if p not in ('', '.'))
    if not key:
        raise OutsideRootError(f'{where}image entry {entry!r} names the '
                               f'image root itself, not a file; {fix}')
    return key


def path_in_root(entry: str, root: str, source: str = '') -> str:
    """``root`` joined with the checked key of ``entry`` (the only path that
    should then be opened)."""
    return osp.join(root, key_in_root(entry, root, source))


__all__ = ['OutsideRootError', 'is_below', 'key_in_root', 'path_in_root']
