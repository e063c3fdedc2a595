"""A COCO-format train/val pair for fine-tuning: image folders and JSON
files anywhere (``CocoData``), or the COCO layout of one root
(``CocoData.from_root``: train2017/, val2017/, annotations/).

The class list is read from the JSON: the category names in the order of
its ``categories`` list, which is the order mmdet's ``CocoDataset`` and
``CocoMetric`` give labels in (``get_cat_ids`` keeps the file's order), so
``metainfo.classes`` and the heads' ``num_classes`` follow the data without
any ``--cfg-options``. :meth:`CocoData.problems` checks the pair before
anything runs and returns one line per problem, naming the file and the fix;
an image entry outside its image folder (an absolute path elsewhere, or
``..``) is one of them, found by name only (nothing outside is opened).
"""
import json
import os.path as osp
from dataclasses import dataclass
from functools import lru_cache
from typing import List, Optional, Tuple

from mmsoco.image_set.roots import OutsideRootError, key_in_root


@lru_cache(maxsize=8)
def _summary(ann: str, mtime_ns: int) -> Tuple[Tuple[str, ...],
                                                Tuple[str, ...], str]:
    """(category names, image file names, problem or '') of a COCO JSON,
    read once per file version (a train JSON may be hundreds of MB)."""
    try:
        with open(ann, encoding='utf-8') as f:
            data = json.load(f)
    except (OSError, ValueError) as e:
        return (), (), f'{ann} cannot be read as JSON ({str(e)[:80]})'
    if not isinstance(data, dict) or not all(
            isinstance(data.get(k), list)
            for k in ('images', 'annotations', 'categories')):
        return (), (), (f'{ann} is not a COCO file (needs "images", '
                        '"annotations" and "categories" lists); convert the '
                        'labels with tools/dataset_converters/')
    try:
        names = tuple(str(c['name']) for c in data['categories'])
        files = tuple(str(i['file_name']) for i in data['images'])
    except (KeyError, TypeError):
        return (), (), (f'{ann}: a category without "name" or an image '
                        'without "file_name"; fix or reconvert it')
    return names, files, ''


def read_coco_summary(ann: str) -> Tuple[Tuple[str, ...], Tuple[str, ...],
                                         str]:
    try:
        mtime = osp.getmtime(ann)
    except OSError:
        return (), (), f'{ann} not found'
    return _summary(osp.abspath(ann), int(mtime * 1e9))


def classes_of(ann: str) -> Tuple[str, ...]:
    """The class names of a COCO JSON, in its categories' order."""
    names, _, problem = read_coco_summary(ann)
    if problem:
        raise ValueError(problem)
    return names


@dataclass(frozen=True)
class CocoData:
    train_images: str
    train_ann: str
    val_images: str
    val_ann: str
    root: Optional[str] = None  # the COCO layout's root, if it is one

    @classmethod
    def from_root(cls, root: str) -> 'CocoData':
        """``root``/train2017, val2017 and annotations/instances_*.json."""
        return cls(osp.join(root, 'train2017'),
                   osp.join(root, 'annotations',
                            'instances_train2017.json'),
                   osp.join(root, 'val2017'),
                   osp.join(root, 'annotations', 'instances_val2017.json'),
                   root=root)

    def classes(self) -> Tuple[str, ...]:
        return classes_of(self.train_ann)

    def split(self, name: str) -> Tuple[str, str]:
        """(image folder, annotation file) of 'train' or 'val'."""
        return ((self.train_images, self.train_ann) if name == 'train' else
                (self.val_images, self.val_ann))

    def problems(self, max_missing_listed: int = 1) -> List[str]:
        """One line per problem (missing paths, unreadable or non-COCO
        JSON, no or repeated class names, val classes not train's, images
        the JSON names that are not in the folder)."""
        out = []
        names = {}
        for split in ('train', 'val'):
            images, ann = self.split(split)
            if not osp.isdir(images):
                out.append(f'{split} image folder {images} not found')
            cats, files, problem = read_coco_summary(ann)
            if problem:
                out.append(f'{split} annotations: {problem}')
                continue
            names[split] = cats
            if not cats:
                out.append(f'{ann} has no categories; convert the labels '
                           'with tools/dataset_converters/')
            dup = sorted({c for c in cats if cats.count(c) > 1})
            if dup:
                out.append(f'{ann} names categories {dup} more than once; '
                           'give each class one category')
            if not files:
                out.append(f'{ann} has no images')
            outside = _outside_root(files, images, ann)
            if outside:
                out.append(outside)
            elif osp.isdir(images):
                missing = [f for f in files
                           if not osp.isfile(osp.join(images, f))]
                if missing:
                    out.append(
                        f'{len(missing)} of the {len(files)} images in {ann} '
                        f'are not in {images} (e.g. {missing[0]}); give the '
                        'folder the file names are relative to')
        if len(names) == 2 and names['train'] != names['val'] and all(
                names.values()):
            out.append(
                f'the categories of {self.val_ann} ({list(names["val"])}) '
                f'are not those of {self.train_ann} '
                f'({list(names["train"])}), in the same order; convert both '
                'splits with the same class list')
        return out


def _outside_root(files, images: str, ann: str) -> str:
    """A line for the first ``file_name`` outside ``images`` (absolute
    elsewhere, or with ``..``), counting the others; '' when none is. Only
    names are compared: nothing outside the folder is looked at."""
    bad = []
    for f in files:
        try:
            key_in_root(f, images, ann)
        except OutsideRootError as e:
            bad.append(str(e))
    if not bad:
        return ''
    more = f' ({len(bad) - 1} more such entries)' if len(bad) > 1 else ''
    return bad[0] + more


__all__ = ['CocoData', 'classes_of', 'read_coco_summary']
