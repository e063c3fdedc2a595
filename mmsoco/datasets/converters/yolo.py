"""YOLO (darknet / ultralytics) labels -> COCO.

Layout: an image folder (searched recursively, :mod:`mmsoco.image_set`) and
a label folder with one ``.txt`` per image at the same relative path (by
default the image folder with its last ``images`` component replaced by
``labels``, as ultralytics does: ``images/train`` -> ``labels/train``). An
image without a label file has no objects (a background image); a label
file without an image is an error. Each line is ``class cx cy w h`` (a box)
or ``class x1 y1 x2 y2 ...`` (an ultralytics segment, >= 3 points), all
coordinates normalised by the image size to [0, 1]; the image size is read
from the image. Class names come from a ``data.yaml`` (``names:`` a list or
a {index: name} mapping) or a text file with one name per line
(``classes.txt``, ``obj.names``); category ids are the class index + 1, and
every class is listed, also one without objects.
"""
import os
import os.path as osp
from typing import List, Optional

from mmsoco.image_set import ImageSetError, list_images
from .coco_builder import CocoBuilder, ConversionError

NAMES_FILES = ('data.yaml', 'dataset.yaml', 'classes.txt', 'obj.names')
TOLERANCE = 1e-6  # printed floats: 1.0000001 is 1


def default_labels_dir(images_dir: str) -> str:
    parts = osp.abspath(images_dir).split(os.sep)
    if 'images' not in parts:
        raise ConversionError(
            f'{images_dir}: no "images" folder in the path to derive the '
            'label folder from; pass the label folder with --labels')
    i = len(parts) - 1 - parts[::-1].index('images')
    return os.sep.join(parts[:i] + ['labels'] + parts[i + 1:])


def find_names_file(images_dir: str, labels_dir: str) -> str:
    here = [labels_dir, osp.dirname(labels_dir), osp.dirname(images_dir),
            osp.dirname(osp.dirname(osp.abspath(images_dir)))]
    for folder in here:
        for name in NAMES_FILES:
            if osp.isfile(osp.join(folder, name)):
                return osp.join(folder, name)
    raise ConversionError(
        f'no class names found for {images_dir} (looked for '
        f'{", ".join(NAMES_FILES)} near the images and labels); pass '
        '--names data.yaml or a text file with one class name per line')


def read_names(path: str) -> List[str]:
    try:
        with open(path, encoding='utf-8') as f:
            text = f.read()
    except OSError as e:
        raise ConversionError(f'{path}: cannot read ({e.strerror or e}); '
                              'give the data.yaml or class-name file')
    if path.lower().endswith(('.yaml', '.yml')):
        import yaml
        try:
            names = (yaml.safe_load(text) or {}).get('names')
        except (yaml.YAMLError, AttributeError) as e:
            raise ConversionError(f'{path} is not a YAML mapping ({e}); fix '
                                  'it or pass a text file of class names')
        if isinstance(names, dict):
            try:
                idx = sorted(int(k) for k in names)
            except (TypeError, ValueError):
                idx = None
            if idx is None or idx != list(range(len(idx))):
                raise ConversionError(
                    f'{path}: "names" keys must be the class indices 0..K-1;'
                    ' fix them')
            names = [names[k] if k in names else names[str(k)] for k in idx]
        if not isinstance(names, list) or not names:
            raise ConversionError(f'{path} has no "names:" list; add the '
                                  'class names in index order')
        return [str(n) for n in names]
    names = [line.strip() for line in text.splitlines() if line.strip()]
    if not names:
        raise ConversionError(f'{path} is empty; write one class name per '
                              'line, in index order')
    return names


def _parse_line(line: str, names: List[str], where: str):
    """-> (class name, polygons, box) in normalised coordinates."""
    tok = line.split()
    try:
        cls = int(tok[0])
        vals = [float(v) for v in tok[1:]]
    except ValueError:
        raise ConversionError(f'{where}: {line.strip()[:60]!r} is not '
                              '"class cx cy w h"; fix the line')
    if not 0 <= cls < len(names):
        raise ConversionError(f'{where}: class {cls} is not in the '
                              f'{len(names)} class names; fix the label or '
                              'add the class to the names file')
    bad = [v for v in vals if not -TOLERANCE <= v <= 1 + TOLERANCE]
    if bad:
        raise ConversionError(
            f'{where}: value {bad[0]:g} is outside [0, 1]; YOLO coordinates '
            'are divided by the image width / height (pixel labels need '
            'converting)')
    vals = [min(max(v, 0.0), 1.0) for v in vals]
    if len(vals) == 4:
        cx, cy, w, h = vals
        return names[cls], [], [cx - w / 2, cy - h / 2, cx + w / 2,
                                cy + h / 2]
    if len(vals) >= 6 and len(vals) % 2 == 0:
        return names[cls], [vals], None
    raise ConversionError(f'{where}: {len(vals)} numbers after the class; '
                          'write 4 (cx cy w h) or an even number >= 6 (a '
                          'polygon)')


def convert_yolo(images_dir: str, labels_dir: Optional[str] = None,
                 names_file: Optional[str] = None) -> CocoBuilder:
    """Read a YOLO image + label folder pair into a CocoBuilder."""
    if not osp.isdir(images_dir):
        raise ConversionError(f'{images_dir} is not a folder; give the YOLO '
                              'image folder (e.g. images/train)')
    labels_dir = labels_dir or default_labels_dir(images_dir)
    if not osp.isdir(labels_dir):
        raise ConversionError(f'label folder {labels_dir} not found; pass '
                              'it with --labels')
    names = read_names(names_file or find_names_file(images_dir, labels_dir))
    try:
        keys = list_images(images_dir).keys
    except ImageSetError as e:
        raise ConversionError(str(e))
    by_stem = {osp.splitext(k)[0]: k for k in keys}
    builder = CocoBuilder(images_dir, names)
    for dirpath, dirnames, filenames in os.walk(labels_dir):
        dirnames.sort()
        for f in sorted(filenames):
            if not f.endswith('.txt') or f in NAMES_FILES:
                continue
            path = osp.join(dirpath, f)
            stem = osp.splitext(osp.relpath(path, labels_dir))[0].replace(
                os.sep, '/')
            if stem not in by_stem:
                raise ConversionError(
                    f'{path}: no image {stem}.* in {images_dir}; add the '
                    'image or remove the label file')
            _read_label_file(builder, by_stem.pop(stem), path, names)
    for key in by_stem.values():  # background images, no label file
        builder.add_image(key, images_dir)
    return builder


def _read_label_file(builder: CocoBuilder, key: str, path: str,
                     names: List[str]) -> None:
    fname = builder.add_image(key, path)
    w, h = builder.size_of(fname)
    with open(path, encoding='utf-8', errors='replace') as fh:
        lines = fh.read().splitlines()
    for n, line in enumerate(lines, 1):
        if not line.strip():
            continue
        name, polys, box = _parse_line(line, names, f'{path}:{n}')
        scale = [w, h]
        polys = [[v * scale[i % 2] for i, v in enumerate(p)] for p in polys]
        if box is not None:
            box = [box[0] * w, box[1] * h, box[2] * w, box[3] * h]
        builder.add_instance(fname, name, f'{path}:{n}', polygons=polys,
                             box=box)


__all__ = ['convert_yolo', 'read_names', 'default_labels_dir',
           'find_names_file']
