"""Writing a mini detection world: images of three splits, COCO instance
annotations (exact boxes, RLE masks) and ``world.json`` with every setting.

Layout of ``OUT``::

    unlabeled/*.jpg            pretraining images (labels never read)
    train/*.jpg, val/*.jpg     labelled splits
    annotations/{unlabeled,train,val}.json   COCO instances
    world.json                 settings, seed, categories, counts

Everything is a function of the seed: image ``i`` of a split draws from its
own generator ``default_rng([seed, split, i])``. ``unlabeled`` pastes the
*seen* stamps, ``train`` and ``val`` the *held-out* ones, so no labelled
object instance is ever seen in pretraining; ``unlabeled`` and ``train``
use one share of the backgrounds, ``val`` the other.
"""
import dataclasses
import json
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

from mmsoco.image_set import list_images, load_rgb
from mmsoco.utils.atomic import atomic_file, atomic_write
from .composite import (CompositeSettings, background_crop,
                        calm_background, compose,
                        instance_annotations, mask_to_rle, transform_stamp)
from .stamps import STAMPS_ROOT, load_stamp, split_stamps, stamp_catalogue

SPLITS = ('unlabeled', 'train', 'val')
DEFAULT_COUNTS = dict(unlabeled=2000, train=300, val=300)
BACKGROUND_SIDE = 256  # backgrounds are shrunk to this short side once
VAL_BACKGROUND_SHARE = 0.25
WORLD_VERSION = 2
HELD_OUT_PER_CATEGORY = 2  # stamps per category kept from pretraining


class WorldInputError(ValueError):
    """Unusable input for the world (no backgrounds, a bad setting); the
    message is one line naming it and the fix."""


def _backgrounds(source: str) -> List[str]:
    try:
        images = list_images(source)
    except Exception as e:  # ImageSetError, OSError
        raise WorldInputError(f'--backgrounds {source}: {e}') from None
    if len(images.keys) < 2:
        raise WorldInputError(f'--backgrounds {source}: needs at least two '
                              'background photos')
    return [images.path(k) for k in images.keys]


def _load_background(path: str) -> np.ndarray:
    img = load_rgb(path)
    scale = BACKGROUND_SIDE / min(img.shape[:2])
    if scale < 1:
        img = cv2.resize(img, (round(img.shape[1] * scale),
                               round(img.shape[0] * scale)),
                         interpolation=cv2.INTER_AREA)
    return img


def world_plan(seed: int, backgrounds: str, stamps_root: str = STAMPS_ROOT,
               counts: Optional[Dict[str, int]] = None,
               settings: Optional[CompositeSettings] = None) -> dict:
    """Everything that defines a world (what ``world.json`` records)."""
    settings = settings or CompositeSettings()
    counts = dict(DEFAULT_COUNTS, **(counts or {}))
    catalogue = stamp_catalogue(stamps_root)
    pools = split_stamps(catalogue, seed, held_out_share=0.,
                         min_held_out=HELD_OUT_PER_CATEGORY)
    bgs = _backgrounds(backgrounds)
    order = np.random.default_rng([seed, 11]).permutation(len(bgs))
    n_val = max(1, int(round(VAL_BACKGROUND_SHARE * len(bgs))))
    root = osp.abspath(backgrounds)
    bg_val = sorted(osp.relpath(bgs[i], root) for i in order[:n_val])
    bg_seen = sorted(osp.relpath(bgs[i], root) for i in order[n_val:])
    return dict(
        version=WORLD_VERSION, seed=seed, image_size=settings.size,
        counts=counts, categories=sorted(catalogue),
        settings=dataclasses.asdict(settings),
        stamps=pools, stamp_counts={c: len(v) for c, v in catalogue.items()},
        backgrounds=dict(seen=bg_seen, held_out=bg_val),
        background_root=root, stamps_root=osp.abspath(stamps_root),
        category_rule='second-level stamp folders with >= 10 alpha PNG '
        'stamps, symbols/ and seasonal/ left out')


def split_pools(plan: dict, split: str):
    """(stamps by category, background keys) a split draws from."""
    stamps = 'seen' if split == 'unlabeled' else 'held_out'
    backgrounds = 'held_out' if split == 'val' else 'seen'
    return plan['stamps'][stamps], plan['backgrounds'][backgrounds]


def render_image(plan: dict, split: str, index: int, stamp_cache: dict,
                 bg_cache: dict):
    """One image of a split: (RGB image, [instance dicts with label])."""
    s = CompositeSettings(**{k: tuple(v) if isinstance(v, list) else v
                             for k, v in plan['settings'].items()})
    rng = np.random.default_rng([plan['seed'], SPLITS.index(split), index])
    stamps, bgs = split_pools(plan, split)
    cats = plan['categories']
    bg_key = bgs[int(rng.integers(len(bgs)))]
    if bg_key not in bg_cache:
        bg_cache[bg_key] = _load_background(
            osp.join(plan['background_root'], bg_key))
    background = calm_background(
        background_crop(bg_cache[bg_key], s.size, rng, s.bg_scale),
        s.bg_blur, s.bg_contrast)
    n = int(rng.integers(s.objects[0], s.objects[1] + 1))
    chosen, labels = [], []
    for _ in range(n):
        label = int(rng.integers(len(cats)))
        pool = stamps[cats[label]]
        name = pool[int(rng.integers(len(pool)))]
        if name not in stamp_cache:
            stamp_cache[name] = load_stamp(
                osp.join(plan['stamps_root'], name))
        chosen.append(transform_stamp(stamp_cache[name], rng, s))
        labels.append(label)
    image, owner, placed = compose(background, chosen, labels, rng, s)
    anns = instance_annotations(owner, len(placed))
    out = []
    for (label, _), ann in zip(placed, anns):
        if ann is not None:
            ann['label'] = label
            out.append(ann)
    return image, out


def _coco(plan: dict, split: str, images: List[dict],
          annotations: List[dict]) -> dict:
    return dict(
        info=dict(description=f'mini detection world, split {split}, seed '
                  f'{plan["seed"]}'),
        images=images, annotations=annotations,
        categories=[dict(id=i + 1, name=c, supercategory=c.split('/')[0])
                    for i, c in enumerate(plan['categories'])])


def write_split(out: str, plan: dict, split: str, stamp_cache: dict,
                bg_cache: dict, progress=None) -> dict:
    """Render and write one split; returns its COCO dict."""
    folder = osp.join(out, split)
    os.makedirs(folder, exist_ok=True)
    images, anns = [], []
    for i in range(plan['counts'][split]):
        image, inst = render_image(plan, split, i, stamp_cache, bg_cache)
        name = f'{split}_{i:06d}.jpg'
        with atomic_file(osp.join(folder, name)) as tmp:
            cv2.imwrite(tmp, cv2.cvtColor(image, cv2.COLOR_RGB2BGR),
                        [cv2.IMWRITE_JPEG_QUALITY, 92])
        images.append(dict(id=i + 1, file_name=name, height=image.shape[0],
                           width=image.shape[1]))
        for a in inst:
            anns.append(dict(id=len(anns) + 1, image_id=i + 1,
                             category_id=a['label'] + 1, bbox=a['bbox'],
                             area=a['area'], iscrowd=0,
                             segmentation=mask_to_rle(a['mask'])))
        if progress is not None:
            progress(split, i + 1, plan['counts'][split])
    coco = _coco(plan, split, images, anns)
    atomic_write(osp.join(out, 'annotations', f'{split}.json'),
                 json.dumps(coco))
    return coco


def make_world(out: str, seed: int, backgrounds: str,
               stamps_root: str = STAMPS_ROOT,
               counts: Optional[Dict[str, int]] = None,
               settings: Optional[CompositeSettings] = None,
               splits: Sequence[str] = SPLITS, progress=None) -> dict:
    """Write the world to ``out``; returns its ``world.json`` dict (with
    instance counts). ``world.json`` is written last: its presence means a
    complete world."""
    plan = world_plan(seed, backgrounds, stamps_root, counts, settings)
    stamp_cache, bg_cache = {}, {}
    instances = {}
    for split in splits:
        coco = write_split(out, plan, split, stamp_cache, bg_cache, progress)
        instances[split] = len(coco['annotations'])
    plan['instances'] = instances
    atomic_write(osp.join(out, 'world.json'), json.dumps(plan, indent=1))
    return plan
