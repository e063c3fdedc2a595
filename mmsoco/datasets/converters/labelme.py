"""labelme annotations (one JSON per image) -> COCO.

Every ``*.json`` under the given folder (searched recursively) is one
labelme file: ``imagePath`` (relative to the JSON's folder), ``imageWidth``
/ ``imageHeight`` (read from the image when absent) and ``shapes``. Shape
types: ``polygon``, ``rectangle`` (two opposite corners) and ``circle``
(centre and a point on the circle, as a 32-point polygon); other types
(point, line, linestrip) are refused naming the file and the fix. Shapes
with the same label and the same ``group_id`` are one object (several
polygons, one box), as in labelme's own COCO export. COCO ``file_name`` s
are relative to ``image_root`` (default: the labelme folder). COCO files in
the folder (e.g. an earlier output of this converter) are skipped.
"""
import json
import math
import os
import os.path as osp
from typing import List, Optional, Sequence

from .coco_builder import CocoBuilder, ConversionError, box_polygon
from .via import ELLIPSE_POINTS


def find_labelme_files(folder: str) -> List[str]:
    if not osp.isdir(folder):
        raise ConversionError(f'{folder} is not a folder; give the folder '
                              'holding the labelme .json files')
    found = []
    for dirpath, dirnames, filenames in os.walk(folder):
        dirnames.sort()
        found += [osp.join(dirpath, f) for f in sorted(filenames)
                  if f.lower().endswith('.json')]
    if not found:
        raise ConversionError(f'{folder} holds no .json files; give the '
                              'folder labelme saved its annotations in')
    return found


def _load(path: str) -> dict:
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        raise ConversionError(f'{path}: cannot read labelme JSON ({e}); fix '
                              'or remove the file')
    if isinstance(data, dict) and all(
            k in data for k in ('images', 'annotations', 'categories')):
        return None  # a COCO file (e.g. this converter's output): skipped
    if not isinstance(data, dict) or 'shapes' not in data or \
            'imagePath' not in data:
        raise ConversionError(f'{path} is not a labelme file (no "shapes" / '
                              '"imagePath"); remove it from the folder')
    return data


def _points(shape: dict, where: str) -> list:
    pts = shape.get('points')
    try:
        return [(float(x), float(y)) for x, y in pts]
    except (TypeError, ValueError):
        raise ConversionError(f'{where}: bad "points" {str(pts)[:60]}; '
                              'redraw the shape')


def _shape(shape: dict, where: str):
    """-> (polygons, box)."""
    kind = shape.get('shape_type') or 'polygon'
    pts = _points(shape, where)
    if kind == 'polygon':
        return [[v for p in pts for v in p]], None
    if kind == 'rectangle':
        if len(pts) != 2:
            raise ConversionError(f'{where}: rectangle with {len(pts)} '
                                  'points; redraw it')
        (x1, y1), (x2, y2) = pts
        return [], [min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2)]
    if kind == 'circle' and len(pts) == 2:
        (cx, cy), (px, py) = pts
        r = math.hypot(px - cx, py - cy)
        return [[v for i in range(ELLIPSE_POINTS)
                 for v in (cx + r * math.cos(2 * math.pi * i /
                                             ELLIPSE_POINTS),
                           cy + r * math.sin(2 * math.pi * i /
                                             ELLIPSE_POINTS))]], None
    raise ConversionError(
        f'{where}: shape type {kind!r} cannot be converted (polygon, '
        'rectangle and circle can); redraw it as a polygon or rectangle, or '
        'delete it')


def convert_labelme(folder: str, image_root: Optional[str] = None,
                    categories: Optional[Sequence[str]] = None
                    ) -> CocoBuilder:
    """Read every labelme JSON under ``folder`` into a CocoBuilder."""
    image_root = osp.abspath(image_root or folder)
    builder = CocoBuilder(image_root, categories)
    for path in find_labelme_files(folder):
        data = _load(path)
        if data is None:
            continue
        # labelme on Windows writes backslashes; its imagePath is relative
        # to the JSON's folder: the builder refuses one outside image_root
        image = osp.normpath(osp.join(osp.dirname(osp.abspath(path)),
                                      str(data['imagePath']).replace(
                                          '\\', '/')))
        size = None
        if data.get('imageWidth') and data.get('imageHeight'):
            size = (int(data['imageWidth']), int(data['imageHeight']))
        fname = builder.add_image(image, path, size)
        groups = {}  # (label, group_id) -> [polygons, boxes]
        for i, shape in enumerate(data['shapes'] or []):
            label = str(shape.get('label') or '').strip()
            where = f'{path}: shape {i} ({label or "no label"})'
            if not label:
                raise ConversionError(f'{where} has no label; label it')
            polys, box = _shape(shape, where)
            gid = shape.get('group_id')
            key = (label, gid) if gid is not None else (label, ('n', i))
            g = groups.setdefault(key, [[], []])
            g[0] += polys
            if box is not None:
                g[1].append(box)
        for (label, _), (polys, boxes) in groups.items():
            if boxes and not polys and len(boxes) == 1:
                builder.add_instance(fname, label, path, box=boxes[0])
            else:
                polys = polys + [box_polygon(*b) for b in boxes]
                builder.add_instance(fname, label, path, polygons=polys)
    return builder


__all__ = ['convert_labelme', 'find_labelme_files']
