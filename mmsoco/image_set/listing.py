"""Which files make an image set, and their keys.

An image set is given as one of:

- a folder, searched recursively (ImageNet's class folders or a flat
  folder). Symbolic links to folders are followed, but a folder reached a
  second time (a link to a parent, two links to one place) is listed once
  and the repeat is reported, so a link loop cannot multiply the set;
- a list file: one image path per line, relative to the image root (by
  default the list file's folder, without ``..``) or absolute inside it
  (:mod:`.roots`). The whole line is
  the path (spaces allowed); ImageNet-style ``path label`` lines, whose
  last word is an integer and whose whole line names no file, give their
  path. Empty lines and ``#`` comments are skipped. A JSON file is refused
  (a COCO annotation file is not a list of images);
- a Python sequence of such paths.

Keys are the paths relative to the image root, '/'-separated and unique:
the proposal store's keys; a folder's are sorted, a list's keep the list's
order (first occurrence). Files that are found but cannot be keys
(a name that is not valid UTF-8, something that is not a regular file) are
returned in ``ImageList.skipped`` with the reason, never silently dropped.
"""
import os
import os.path as osp
from dataclasses import dataclass, field
from typing import List, Optional, Sequence, Tuple, Union

from .errors import ImageSetError
from .roots import key_in_root

IMAGE_EXTENSIONS = ('.jpg', '.jpeg', '.png', '.bmp', '.webp', '.tif',
                    '.tiff', '.ppm', '.pgm')

Source = Union[str, Sequence[str]]


@dataclass
class ImageList:
    root: str  # keys are relative to it
    keys: List[str]
    scanned: bool  # a folder searched recursively (not a list)
    skipped: List[Tuple[str, str]] = field(default_factory=list)

    def path(self, key: str) -> str:
        return osp.join(self.root, key)


def resolve_root(source: Source, image_root: Optional[str] = None
                 ) -> Tuple[str, bool]:
    """-> (image root, whether it is a folder searched recursively), without
    listing anything."""
    if isinstance(source, str) and osp.isdir(source):
        return source, True
    if isinstance(source, str):
        return image_root or osp.dirname(osp.abspath(source)), False
    return image_root or os.getcwd(), False


def list_images(source: Source, image_root: Optional[str] = None
                ) -> ImageList:
    """List an image folder, a list file or a sequence of paths (see the
    module docstring). Raises ImageSetError (one line) for a source that is
    missing, a JSON file, or names paths outside the image root."""
    root, scanned = resolve_root(source, image_root)
    if scanned:
        keys, skipped = _scan(root)
        return ImageList(root, keys, True, skipped)
    if isinstance(source, str):
        paths = _read_list_file(source, root)
    else:
        paths = [str(p) for p in source]
    keys, skipped = [], []
    for key in dict.fromkeys(_key(p, root) for p in paths):
        try:
            key.encode('utf-8')
            keys.append(key)
        except UnicodeEncodeError:
            skipped.append((_printable(key), 'path is not valid UTF-8; '
                            'rename the file to use it'))
    return ImageList(root, keys, False, skipped)


def _scan(root: str) -> Tuple[List[str], List[Tuple[str, str]]]:
    keys: List[str] = []
    skipped: List[Tuple[str, str]] = []
    # the real folders under root are listed under their own names; a link
    # is followed only to a folder reached no other way
    seen = {osp.realpath(d) for d, _, _ in os.walk(root)}
    stack = ['']  # folders relative to root, '' = root itself
    while stack:
        rel_dir = stack.pop()
        try:
            entries = sorted(os.scandir(osp.join(root, rel_dir)),
                             key=lambda e: e.name)
        except OSError as e:
            skipped.append((rel_dir or '.', f'cannot list folder '
                            f'({e.strerror or e})'))
            continue
        subdirs = []
        for entry in entries:
            rel = f'{rel_dir}/{entry.name}' if rel_dir else entry.name
            try:
                is_dir = entry.is_dir()
            except OSError:
                is_dir = False
            if is_dir and not entry.is_symlink():
                subdirs.append(rel)
            elif is_dir:
                real = osp.realpath(entry.path)
                if real in seen:
                    skipped.append((_printable(rel), 'folder already listed '
                                    f'({real}): a symbolic link loop or a '
                                    'second link to it; not listed again'))
                else:
                    seen.add(real)
                    subdirs.append(rel)
            elif entry.name.lower().endswith(IMAGE_EXTENSIONS):
                reason = _unusable(entry, rel)
                if reason:
                    skipped.append((_printable(rel), reason))
                else:
                    keys.append(rel)
        stack.extend(reversed(subdirs))
    return sorted(keys), skipped


def _unusable(entry: os.DirEntry, rel: str) -> Optional[str]:
    try:
        rel.encode('utf-8')
    except UnicodeEncodeError:
        return ('file name is not valid UTF-8; rename it (e.g. with '
                'convmv) to use it')
    try:
        if not entry.is_file():
            return ('not a regular file (a FIFO, device or broken link); '
                    'remove it from the image folder')
    except OSError as e:
        return f'cannot stat ({e.strerror or e})'
    return None


def _printable(rel: str) -> str:
    return rel.encode('utf-8', 'surrogateescape').decode('utf-8', 'replace')


def _read_list_file(list_file: str, root: str) -> List[str]:
    if not osp.isfile(list_file):
        raise ImageSetError(
            f'{list_file} is neither an image folder nor a list file; give '
            'a folder of images or a text file with one image path per line')
    with open(list_file, 'rb') as f:
        raw = f.read()
    text = raw.decode('utf-8', 'surrogateescape')
    if list_file.lower().endswith('.json') or text.lstrip()[:1] in '{[' \
            and text.strip():
        raise ImageSetError(
            f'{list_file} is a JSON file, not an image folder or a list of '
            'image paths; for a COCO-format set give its image folder (e.g. '
            'train2017/)')
    paths = []
    for line in text.splitlines():
        line = line.strip()
        if not line or line.startswith('#'):
            continue
        paths.append(_path_of_line(line, root))
    return paths


def _path_of_line(line: str, root: str) -> str:
    """The whole line, or the path of a ``path label`` line."""
    head, _, last = line.rpartition(' ')
    if head and last.lstrip('-').isdigit():
        if not osp.isfile(osp.join(root, line)):
            return head.rstrip()
    return line


def _key(path: str, root: str) -> str:
    return key_in_root(path, root)


__all__ = ['IMAGE_EXTENSIONS', 'ImageList', 'list_images',
           'resolve_root']
