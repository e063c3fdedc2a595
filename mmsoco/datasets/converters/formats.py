"""Which annotation format a file or folder holds, so that a converter
given another tool's annotations names the converter that reads them.

Recognised by their content: COCO (``images`` + ``annotations`` +
``categories``), labelme (``shapes`` + ``imagePath``, one JSON per image),
VIA 2.x (a project's ``_via_img_metadata``, or an export's ``{key:
{filename, regions}}``) and YOLO (a ``labels`` folder beside ``images``, or
a ``data.yaml`` / ``classes.txt``). Only the standard library is used, and
at most :data:`MAX_JSON_FILES` JSON files of a folder are read.
"""
import json
import os
import os.path as osp
from typing import List, Optional, Set

COCO, LABELME, VIA, YOLO = 'COCO', 'labelme', 'VIA', 'YOLO'
CONVERTERS = {
    LABELME: 'tools/dataset_converters/labelme2coco.py LABELME_DIR OUT_JSON',
    VIA: 'tools/dataset_converters/via2coco.py VIA_JSON OUT_JSON',
    YOLO: 'tools/dataset_converters/yolo2coco.py IMAGES_DIR OUT_JSON',
}
YOLO_NAMES_FILES = ('data.yaml', 'dataset.yaml', 'classes.txt', 'obj.names')
MAX_JSON_FILES = 20
MAX_JSON_BYTES = 200 * 2**20


def json_format(data) -> Optional[str]:
    """The format of a parsed JSON document, or None."""
    if not isinstance(data, dict):
        return None
    if all(k in data for k in ('images', 'annotations', 'categories')):
        return COCO
    if 'shapes' in data and 'imagePath' in data:
        return LABELME
    if '_via_img_metadata' in data:
        return VIA
    entries = list(data.values())[:5]
    if entries and all(isinstance(e, dict) and 'filename' in e and
                       'regions' in e for e in entries):
        return VIA
    return None


def file_format(path: str) -> Optional[str]:
    """The format of one annotation file, or None."""
    name = osp.basename(path).lower()
    if name in YOLO_NAMES_FILES:
        return YOLO
    if not name.endswith('.json'):
        return None
    try:
        if os.path.getsize(path) > MAX_JSON_BYTES:
            return None
        with open(path, encoding='utf-8') as f:
            return json_format(json.load(f))
    except (OSError, ValueError):
        return None


def _json_files(folder: str) -> List[str]:
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        found += [osp.join(dirpath, f) for f in sorted(filenames)
                  if f.lower().endswith('.json')]
        if len(found) >= MAX_JSON_FILES:
            break
    return found[:MAX_JSON_FILES]


def _yolo_labels_beside(folder: str) -> bool:
    parts = osp.normpath(osp.abspath(folder)).split(os.sep)
    if 'images' not in parts:
        return False
    i = len(parts) - 1 - parts[::-1].index('images')
    labels = os.sep.join(parts[:i] + ['labels'] + parts[i + 1:])
    return osp.isdir(labels)


def formats_in(path: str) -> Set[str]:
    """The annotation formats found in a file, or in a folder (its JSON
    files, and the YOLO layout)."""
    if osp.isfile(path):
        fmt = file_format(path)
        return {fmt} if fmt else set()
    if not osp.isdir(path):
        return set()
    found = {file_format(p) for p in _json_files(path)}
    if _yolo_labels_beside(path) or any(
            osp.isfile(osp.join(path, n)) for n in YOLO_NAMES_FILES) or \
            osp.isdir(osp.join(path, 'labels')):
        found.add(YOLO)
    return {f for f in found if f}


def other_format_hint(path: str, expected: str) -> Optional[str]:
    """One line for a converter of ``expected`` given ``path``: what
    ``path`` holds instead and the converter for it; None when ``path``
    holds ``expected`` annotations or nothing recognised."""
    found = formats_in(path)
    if expected == VIA and VIA in found and osp.isdir(path):
        files = [p for p in _json_files(path) if file_format(p) == VIA]
        return (f'{path} is a folder; give the VIA JSON file in it, e.g. '
                f'{files[0]}')
    if not found or expected in found:
        return None
    if found == {COCO}:
        return (f'{path} is COCO JSON already: no conversion is needed '
                '(give it to tools/transfer_chain.py --train-ann / '
                '--val-ann, or to an mmdet config, as it is)')
    fmt = sorted(found - {COCO})[0]
    what = 'holds' if osp.isdir(path) else 'has'
    return (f'{path} {what} {fmt} annotations, not {expected}: convert '
            f'them with python {_command(fmt, path)}')


def _command(fmt: str, path: str) -> str:
    """The converter's command line for ``path`` (its input filled in)."""
    tool, src, out = CONVERTERS[fmt].split()
    if fmt == VIA:
        src = path if osp.isfile(path) else next(
            p for p in _json_files(path) if file_format(p) == VIA)
    elif fmt == LABELME:
        src = path if osp.isdir(path) else (osp.dirname(path) or '.')
    elif osp.isdir(path):  # YOLO: the image folder
        src = path
    return f'{tool} {src} {out}'


__all__ = ['COCO', 'LABELME', 'VIA', 'YOLO', 'CONVERTERS', 'formats_in',
           'file_format', 'json_format', 'other_format_hint']
