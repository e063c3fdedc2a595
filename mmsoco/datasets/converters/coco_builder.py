"""The COCO writer every converter shares.

A converter reads its own format and calls :class:`CocoBuilder`: one
``add_image`` per image (its size read with :mod:`mmsoco.image_set` when the
format does not give it) and one ``add_instance`` per object (a box, or
polygons whose bounding box is the box). The builder checks what it is given
(an image that is missing or cannot be decoded, a box outside the image, a
polygon with fewer than 3 points, a zero-area object, an image named outside
the image root) and raises
:class:`ConversionError` with one line naming the annotation file and the
fix. ``to_dict`` numbers images in the order of their file names (ids from
1), categories in the order given or, by default, by name (ids from 1), and
objects in the order added; ``write`` puts the JSON in place atomically and
never replaces a file unless asked.

A box-only object (a VIA ``rect``, a labelme ``rectangle``, a YOLO box) gets
its rectangle as its polygon, so that instance-segmentation configs (Mask
R-CNN) train and evaluate on it; the ``bbox`` is the same either way.
"""
import json
import os.path as osp
from typing import Dict, List, Optional, Sequence, Tuple

import numpy as np

from mmsoco.image_set import BadImage, OutsideRootError, key_in_root, load_rgb
from mmsoco.utils.atomic import atomic_write

# coordinates a little outside the image (a polygon point drawn on the
# border, float rounding) are clipped; further out is an error
EDGE_TOLERANCE_PX = 2.0


class ConversionError(ValueError):
    """Bad annotation input; the message is one line: the file and the fix."""


def polygon_area(xy: np.ndarray) -> float:
    """Shoelace area of an (N, 2) polygon."""
    x, y = xy[:, 0], xy[:, 1]
    return float(abs(np.dot(x, np.roll(y, -1)) - np.dot(y, np.roll(x, -1)))
                 / 2)


def box_polygon(x1: float, y1: float, x2: float, y2: float) -> List[float]:
    return [x1, y1, x2, y1, x2, y2, x1, y2]


class CocoBuilder:
    """Collects images, categories and objects; see the module docstring.

    Args:
        image_root: the folder COCO ``file_name`` s are relative to.
        categories: a fixed, ordered class list (ids 1..K in this order,
            also for classes without objects); None: the classes met in
            the data, ids by sorted name.
    """

    def __init__(self, image_root: str,
                 categories: Optional[Sequence[str]] = None):
        self.image_root = image_root
        self.fixed = list(categories) if categories is not None else None
        if self.fixed is not None and len(set(self.fixed)) != len(self.fixed):
            dup = sorted({c for c in self.fixed if self.fixed.count(c) > 1})
            raise ConversionError(f'class list names {dup} more than once; '
                                  'give every class once')
        self.images: Dict[str, dict] = {}  # file_name -> image record
        self.objects: List[dict] = []
        self.seen_classes = set()

    # ---------------------------------------------------------- images
    def add_image(self, file_name: str, source: str,
                  size: Optional[Tuple[int, int]] = None) -> str:
        """Register ``file_name`` (relative to the image root, '/'-joined);
        ``size`` (width, height) is read from the image when None. Returns
        the file name (the handle for ``add_instance``). ``source`` is the
        annotation file that names the image, for messages. A name outside
        the image root (absolute elsewhere, or with ``..``) is refused
        before anything is opened (:mod:`mmsoco.image_set.roots`)."""
        try:
            file_name = key_in_root(str(file_name).replace('\\', '/'),
                                    self.image_root, source)
        except OutsideRootError as e:
            raise ConversionError(str(e)) from None
        if file_name in self.images:
            if size is not None and (self.images[file_name]['width'],
                                     self.images[file_name]['height']) \
                    != tuple(size):
                raise ConversionError(
                    f'{source}: image {file_name} is annotated twice with '
                    'different sizes; keep one annotation file per image')
            return file_name
        path = osp.join(self.image_root, file_name)
        if not osp.isfile(path):
            raise ConversionError(
                f'{source}: image {file_name} not found in {self.image_root};'
                ' put it there or pass the folder that holds it '
                '(--image-root)')
        if size is None:
            try:
                h, w = load_rgb(path).shape[:2]
            except BadImage as e:
                raise ConversionError(
                    f'{path}: {e}; replace the file or remove its '
                    f'annotations from {source}')
            size = (w, h)
        w, h = int(size[0]), int(size[1])
        if w <= 0 or h <= 0:
            raise ConversionError(f'{source}: image {file_name} has size '
                                  f'{w}x{h}; fix the recorded image size')
        self.images[file_name] = dict(file_name=file_name, width=w, height=h)
        return file_name

    def size_of(self, file_name: str) -> Tuple[int, int]:
        im = self.images[file_name]
        return im['width'], im['height']

    # --------------------------------------------------------- objects
    def add_instance(self, file_name: str, category: str, source: str,
                     polygons: Sequence[Sequence[float]] = (),
                     box: Optional[Sequence[float]] = None) -> None:
        """One object of image ``file_name``: ``polygons`` (flat x y lists
        in pixels) and/or ``box`` (x1 y1 x2 y2 pixels). A box alone gets
        its rectangle as polygon; polygons alone give the box."""
        category = str(category).strip()
        if not category:
            raise ConversionError(f'{source}: an object of {file_name} has '
                                  'an empty class name; label it')
        if self.fixed is not None and category not in self.fixed:
            raise ConversionError(
                f'{source}: class {category!r} is not in the class list '
                f'{self.fixed}; add it to the list or relabel the object')
        w, h = self.size_of(file_name)
        where = f'{source}: an object ({category}) of {file_name}'
        polys = []
        for poly in polygons:
            xy = np.asarray(poly, np.float64).reshape(-1, 2)
            if len(xy) < 3:
                raise ConversionError(f'{where} is a polygon of {len(xy)} '
                                      'points; draw at least 3 or remove it')
            polys.append(self._clip(xy, w, h, where))
        if box is not None:
            b = self._clip(np.asarray(box, np.float64).reshape(2, 2), w, h,
                           where)
            (x1, y1), (x2, y2) = b.min(0), b.max(0)
        else:
            if not polys:
                raise ConversionError(f'{where} has neither a box nor a '
                                      'polygon; remove it')
            allxy = np.concatenate(polys)
            (x1, y1), (x2, y2) = allxy.min(0), allxy.max(0)
        if x2 - x1 <= 0 or y2 - y1 <= 0:
            raise ConversionError(f'{where} has zero width or height; '
                                  'redraw or remove it')
        if polys:
            seg = [[round(float(v), 2) for v in p.reshape(-1)]
                   for p in polys]
            area = sum(polygon_area(p) for p in polys)
        else:
            seg = [[round(float(v), 2)
                    for v in box_polygon(x1, y1, x2, y2)]]
            area = (x2 - x1) * (y2 - y1)
        if area <= 0:
            raise ConversionError(f'{where} is a polygon of zero area; '
                                  'redraw or remove it')
        self.seen_classes.add(category)
        self.objects.append(dict(
            file_name=file_name, category=category,
            bbox=[round(float(v), 2) for v in (x1, y1, x2 - x1, y2 - y1)],
            segmentation=seg, area=round(float(area), 2)))

    @staticmethod
    def _clip(xy: np.ndarray, w: int, h: int, where: str) -> np.ndarray:
        if not np.isfinite(xy).all():
            raise ConversionError(f'{where} has a coordinate that is not a '
                                  'number; redraw it')
        t = EDGE_TOLERANCE_PX
        bad = (xy[:, 0] < -t) | (xy[:, 0] > w + t) | (xy[:, 1] < -t) | \
            (xy[:, 1] > h + t)
        if bad.any():
            x, y = xy[bad][0]
            raise ConversionError(
                f'{where} has point ({x:.1f}, {y:.1f}) outside the {w}x{h} '
                'image; check that the annotation belongs to this image (and '
                'was drawn on it at full size), or redraw it')
        return np.clip(xy, 0, [w, h])

    # ----------------------------------------------------------- output
    def categories(self) -> List[str]:
        return list(self.fixed) if self.fixed is not None else sorted(
            self.seen_classes)

    def to_dict(self, description: str = '') -> dict:
        names = self.categories()
        cat_id = {n: i + 1 for i, n in enumerate(names)}
        img_id = {f: i + 1 for i, f in enumerate(sorted(self.images))}
        images = [dict(id=img_id[f], **self.images[f])
                  for f in sorted(self.images)]
        anns = [dict(id=i + 1, image_id=img_id[o['file_name']],
                     category_id=cat_id[o['category']], bbox=o['bbox'],
                     area=o['area'], segmentation=o['segmentation'],
                     iscrowd=0) for i, o in enumerate(self.objects)]
        return dict(
            info=dict(description=description or 'converted by mmsoco'),
            images=images, annotations=anns,
            categories=[dict(id=cat_id[n], name=n, supercategory=n)
                        for n in names])

    def write(self, out: str, overwrite: bool = False,
              description: str = '') -> dict:
        """Write the COCO JSON atomically; an existing ``out`` is refused
        unless ``overwrite``. Returns the written dict."""
        if not self.images:
            raise ConversionError(f'no annotated images found for {out}; '
                                  'check the input paths')
        if osp.isdir(out):
            raise ConversionError(f'output {out} is a folder; give a .json '
                                  'file path')
        if osp.lexists(out) and not overwrite:
            raise ConversionError(f'output {out} exists; choose another path'
                                  ' or pass --overwrite to replace it')
        coco = self.to_dict(description)
        atomic_write(out, json.dumps(coco))
        return coco


def summary(coco: dict, out: str) -> str:
    """One line about a converted set."""
    counts = {c['id']: 0 for c in coco['categories']}
    for a in coco['annotations']:
        counts[a['category_id']] += 1
    cats = ', '.join(f'{c["name"]} ({counts[c["id"]]})'
                     for c in coco['categories'])
    return (f'wrote {out}: {len(coco["images"])} images, '
            f'{len(coco["annotations"])} objects, classes: {cats}')


__all__ = ['CocoBuilder', 'ConversionError', 'EDGE_TOLERANCE_PX',
           'box_polygon', 'polygon_area', 'summary']
