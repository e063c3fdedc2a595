"""VIA (VGG Image Annotator) 2.x annotations -> COCO.

Reads a VIA 2.x project (``_via_img_metadata`` inside) or its "export as
JSON" file (``{key: {filename, size, regions, file_attributes}}``, the
format of mmdet's balloon tutorial; VIA 1.x's dict of regions is accepted
too). Region shapes: ``polygon``, ``rect``, ``circle`` and ``ellipse``
(the last two as 32-point polygons); any other shape is refused naming the
file, the image and the fix.

The class of a region is the value of one region attribute
(``class_attribute``; by default the one attribute the regions use, if
there is exactly one). A text / dropdown / radio attribute gives its string;
a checkbox attribute the one option ticked. Regions without a class value
(e.g. the balloon set, which has no attributes) get ``default_class``.
VIA's ``size`` is the file size in bytes, not the image size, so every
image is decoded once (:mod:`mmsoco.image_set`) for its width and height.
"""
import json
import math
import os.path as osp
from typing import Optional, Sequence

from .coco_builder import CocoBuilder, ConversionError

ELLIPSE_POINTS = 32


def _load(path: str) -> dict:
    try:
        with open(path, encoding='utf-8') as f:
            data = json.load(f)
    except OSError as e:
        raise ConversionError(f'{path}: cannot read ({e.strerror or e}); '
                              'give the VIA project or export JSON file')
    except ValueError as e:
        raise ConversionError(f'{path} is not valid JSON ({e}); give the '
                              'VIA project or export JSON file')
    if not isinstance(data, dict):
        raise ConversionError(f'{path} is not a VIA 2.x JSON (expected an '
                              'object of images); export it from VIA 2')
    if '_via_img_metadata' in data:
        data = data['_via_img_metadata']
    elif 'project' in data and 'metadata' in data and 'file' in data:
        raise ConversionError(
            f'{path} is a VIA 3 project; open it in VIA 2.x and save the '
            'project or export the annotations as JSON')
    for key, entry in data.items():
        if not isinstance(entry, dict) or 'filename' not in entry:
            raise ConversionError(
                f'{path}: entry {key!r} has no "filename"; give a VIA 2.x '
                'project or "export annotations as json" file')
    return data


def _regions(entry: dict) -> list:
    regions = entry.get('regions') or []
    if isinstance(regions, dict):  # VIA 1.x: {"0": region, ...}
        regions = [regions[k] for k in sorted(regions, key=_num)]
    return list(regions)


def _num(k: str):
    return (0, int(k)) if str(k).isdigit() else (1, str(k))


def _attribute(regions_by_image, path: str,
               class_attribute: Optional[str]) -> Optional[str]:
    names = set()
    for regions in regions_by_image:
        for r in regions:
            for k, v in (r.get('region_attributes') or {}).items():
                if v not in ('', None, {}):
                    names.add(k)
    if class_attribute:
        if class_attribute not in names:
            raise ConversionError(
                f'{path}: no region has a value for attribute '
                f'{class_attribute!r} (attributes used: '
                f'{sorted(names) or "none"}); name one of those with '
                '--class-attribute, or leave it out')
        return class_attribute
    if len(names) > 1:
        raise ConversionError(
            f'{path}: regions have attributes {sorted(names)}; name the one '
            'holding the class with --class-attribute')
    return next(iter(names), None)


def _class_of(region: dict, attr: Optional[str], default: str, where: str
              ) -> str:
    value = (region.get('region_attributes') or {}).get(attr) if attr \
        else None
    if value in ('', None, {}):
        return default
    if isinstance(value, dict):  # checkbox: {option: true}
        ticked = [k for k, v in value.items() if v]
        if len(ticked) != 1:
            raise ConversionError(
                f'{where}: attribute {attr!r} has {len(ticked)} options '
                'ticked; tick exactly one class per region')
        return ticked[0]
    if not isinstance(value, (str, int, float)):
        raise ConversionError(f'{where}: attribute {attr!r} is {value!r}, '
                              'not a class name; use a text, dropdown or '
                              'radio attribute')
    return str(value)


def _ellipse(cx, cy, rx, ry, theta=0.0) -> list:
    pts = []
    c, s = math.cos(theta), math.sin(theta)
    for i in range(ELLIPSE_POINTS):
        a = 2 * math.pi * i / ELLIPSE_POINTS
        x, y = rx * math.cos(a), ry * math.sin(a)
        pts += [cx + c * x - s * y, cy + s * x + c * y]
    return pts


def _shape(region: dict, where: str):
    """-> (polygons, box) of a region."""
    sa = region.get('shape_attributes') or {}
    name = sa.get('name')
    try:
        if name == 'polygon':
            xs, ys = sa['all_points_x'], sa['all_points_y']
            if len(xs) != len(ys):
                raise ConversionError(
                    f'{where}: polygon has {len(xs)} x and {len(ys)} y '
                    'values; redraw it')
            return [[v for xy in zip(xs, ys) for v in xy]], None
        if name == 'rect':
            x, y = float(sa['x']), float(sa['y'])
            return [], [x, y, x + float(sa['width']),
                        y + float(sa['height'])]
        if name == 'circle':
            r = float(sa['r'])
            return [_ellipse(float(sa['cx']), float(sa['cy']), r, r)], None
        if name == 'ellipse':
            return [_ellipse(float(sa['cx']), float(sa['cy']),
                             float(sa['rx']), float(sa['ry']),
                             float(sa.get('theta', 0)))], None
    except (KeyError, TypeError, ValueError) as e:
        raise ConversionError(f'{where}: {name} region lacks or has a bad '
                              f'{e}; redraw it in VIA')
    raise ConversionError(
        f'{where}: region of shape {name!r} cannot be converted (polygon, '
        'rect, circle and ellipse can); redraw it as a polygon or rect, or '
        'delete it')


def convert_via(via_json: str, image_root: Optional[str] = None,
                class_attribute: Optional[str] = None,
                default_class: str = 'object',
                categories: Optional[Sequence[str]] = None) -> CocoBuilder:
    """Read a VIA 2.x JSON into a :class:`CocoBuilder` (see the module
    docstring). ``image_root``: the image folder (default: the JSON's
    folder)."""
    data = _load(via_json)
    image_root = image_root or osp.dirname(osp.abspath(via_json))
    builder = CocoBuilder(image_root, categories)
    attr = _attribute([_regions(e) for e in data.values()], via_json,
                      class_attribute)
    for entry in data.values():
        name = str(entry['filename'])
        if '://' in name:
            raise ConversionError(
                f'{via_json}: image {name} is a URL; download the images '
                'into a folder and pass it with --image-root')
        fname = builder.add_image(name, via_json)
        for i, region in enumerate(_regions(entry)):
            where = f'{via_json}: region {i} of {name}'
            polys, box = _shape(region, where)
            builder.add_instance(fname, _class_of(region, attr,
                                                  default_class, where),
                                 via_json, polygons=polys, box=box)
    return builder


__all__ = ['convert_via']
