"""The labelled boxes of a COCO-format set (and optionally of a second,
"bank" set) for the box k-NN probe."""
import copy
import json
import os.path as osp
from typing import List, Optional, Sequence

from mmengine.dataset import BaseDataset

from mmsoco.datasets.errors import DatasetConfigError
from mmsoco.registry import DATASETS

# uint8 RGB image resized like the CPU transfer config's test scale (boxes
# follow), packed as mmdet DetDataSamples that keep the split name
DEFAULT_PIPELINE = [
    dict(type='LoadImageRGB'),
    dict(type='mmdet.LoadAnnotations', with_bbox=True),
    dict(type='mmdet.Resize', scale=(533, 320), keep_ratio=True),
    dict(type='mmdet.PackDetInputs',
         meta_keys=('img_id', 'img_path', 'ori_shape', 'img_shape',
                    'scale_factor', 'split')),
]


def _read_coco(ann_file: str, option: str) -> dict:
    if not osp.isfile(ann_file):
        raise DatasetConfigError(f'{option} {ann_file}: no such file; give a '
                                 'COCO-format annotation .json')
    try:
        with open(ann_file) as f:
            coco = json.load(f)
        coco['images'], coco['annotations'], coco['categories']
    except (ValueError, KeyError, TypeError) as e:
        raise DatasetConfigError(
            f'{option} {ann_file} is not a COCO-format annotation file '
            f'({type(e).__name__}: {str(e)[:80]}); it needs images, '
            'annotations and categories') from None
    return coco


@DATASETS.register_module()
class BoxProbeDataset(BaseDataset):
    """One item per image with at least one usable box: ``img_path``,
    ``split`` (``'query'`` or ``'bank'``) and ``instances`` (mmdet layout,
    x1 y1 x2 y2 in original pixels, ``bbox_label`` indexing
    ``metainfo['classes']``).

    Args:
        ann_file, img_dir: the query set (COCO json, image folder).
        bank_ann_file, bank_img_dir: the bank set (optional; without one
            the probe scores leave-one-out on the query set).
        classes: category names to keep (default: every category of the
            annotation files, by name).
        min_size: boxes with sqrt(w h) below this (original pixels) and
            crowd boxes are left out.
        scale: (long, short) side limits of the resized images, for the
            default pipeline (the CPU transfer config's test scale).
        pipeline: default :data:`DEFAULT_PIPELINE` at ``scale``.
    """

    def __init__(self, ann_file: str, img_dir: str,
                 bank_ann_file: Optional[str] = None,
                 bank_img_dir: Optional[str] = None,
                 classes: Optional[Sequence[str]] = None,
                 min_size: float = 8.,
                 scale: Sequence[int] = (533, 320),
                 pipeline: Optional[list] = None,
                 **kwargs):
        if (bank_ann_file is None) != (bank_img_dir is None):
            raise DatasetConfigError('a probe bank needs both bank_ann_file '
                                     'and bank_img_dir (--bank-ann and '
                                     '--bank-images)')
        self.sets = [('query', ann_file, img_dir, '--ann/--images')]
        if bank_ann_file is not None:
            self.sets.insert(0, ('bank', bank_ann_file, bank_img_dir,
                                 '--bank-ann/--bank-images'))
        self.cocos = {split: _read_coco(ann, opt.split('/')[0])
                      for split, ann, _, opt in self.sets}
        if classes is None:
            names = [c['name'] for coco in self.cocos.values()
                     for c in coco['categories']]
            classes = list(dict.fromkeys(names))
        self.min_size = float(min_size)
        if pipeline is None:
            pipeline = copy.deepcopy(DEFAULT_PIPELINE)
            pipeline[2]['scale'] = tuple(scale)
        super().__init__(
            metainfo=dict(classes=tuple(classes)),
            pipeline=pipeline,
            test_mode=True, serialize_data=False, **kwargs)

    def load_data_list(self) -> List[dict]:
        label_of = {n: i for i, n in enumerate(self.metainfo['classes'])}
        data = []
        for split, ann_file, img_dir, option in self.sets:
            coco = self.cocos[split]
            label = {c['id']: label_of.get(c['name'])
                     for c in coco['categories']}
            boxes = {}
            for a in coco['annotations']:
                x, y, w, h = a['bbox']
                if a.get('iscrowd') or label.get(a['category_id']) is None \
                        or (max(w, 0) * max(h, 0))**0.5 < self.min_size:
                    continue
                boxes.setdefault(a['image_id'], []).append(dict(
                    bbox=[x, y, x + w, y + h], ignore_flag=0,
                    bbox_label=label[a['category_id']]))
            items = [dict(img_path=osp.join(img_dir, im['file_name']),
                          img_id=im['id'], split=split,
                          instances=boxes[im['id']])
                     for im in coco['images'] if im['id'] in boxes]
            missing = [it['img_path'] for it in items
                       if not osp.isfile(it['img_path'])]
            if missing:
                raise DatasetConfigError(
                    f'{ann_file}: {len(missing)} of its {len(items)} '
                    f'labelled images are not in {img_dir} (e.g. '
                    f'{osp.basename(missing[0])}); pass as '
                    f'{option.split("/")[1]} the folder that holds them')
            if not items:
                raise DatasetConfigError(
                    f'{ann_file}: no box of the probed classes (crowd and '
                    f'boxes under {self.min_size:g} px left out)')
            data.extend(items)
        return data

    @property
    def has_bank(self) -> bool:
        return any(split == 'bank' for split, *_ in self.sets)
