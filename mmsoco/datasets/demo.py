"""The embedded demo set: real photos that ship inside scikit-image.

``python tools/train.py configs/soco_r18_fpn_1xb4-12iter_demo.py`` must run
on a fresh install with nothing downloaded, so its data is built on first use
from the sample photos bundled in ``skimage/data`` (astronaut, coffee, rocket, ...),
resized to COCO scale and saved as JPEG, together with their selective-search
proposals. The build is atomic: a half-built demo set never appears at its
final path, so concurrent ranks or an interrupted build are harmless.
"""
import os
import os.path as osp
import shutil
import tempfile
from typing import NamedTuple

import cv2

from mmsoco.utils.atomic import publish_dir

# Files in skimage/data that are real photographs (not textures or drawings).
DEMO_PHOTOS = (
    'astronaut.png', 'camera.png', 'chelsea.png', 'coffee.png', 'rocket.jpg',
    'hubble_deep_field.jpg', 'ihc.png', 'coins.png', 'motorcycle_left.png',
    'motorcycle_right.png', 'retina.jpg', 'clock_motion.png')
MAX_SIDE = 640  # COCO scale
IMAGE_DIR = 'images'
PROPOSALS = 'proposals'


class DemoSet(NamedTuple):
    root: str
    image_dir: str
    proposals: str


def demo_paths(root: str) -> DemoSet:
    return DemoSet(root, osp.join(root, IMAGE_DIR), osp.join(root, PROPOSALS))


def skimage_photo_dir() -> str:
    import skimage
    return osp.join(osp.dirname(skimage.__file__), 'data')


def _write_photo(src: str, dst: str) -> None:
    img = cv2.imread(src, cv2.IMREAD_UNCHANGED)
    if img is None:
        raise FileNotFoundError(
            f'scikit-image sample photo {src} is missing or unreadable; '
            'reinstall scikit-image (pip install --force-reinstall '
            'scikit-image)')
    if img.ndim == 3 and img.shape[2] == 4:
        img = cv2.cvtColor(img, cv2.COLOR_BGRA2BGR)
    scale = MAX_SIDE / max(img.shape[:2])
    if scale < 1:
        img = cv2.resize(img, None, fx=scale, fy=scale,
                         interpolation=cv2.INTER_AREA)
    if not cv2.imwrite(dst, img, [cv2.IMWRITE_JPEG_QUALITY, 95]):
        raise OSError(f'could not write {dst}')


def build_demo_set(root: str = 'data/soco_demo',
                   with_proposals: bool = True,
                   logger=None) -> DemoSet:
    """Build the demo set under ``root`` unless it is already there.

    Under DDP rank 0 builds while the others wait. Returns the paths of the
    image folder and the proposals store.
    """
    from mmengine.dist import barrier, get_rank
    paths = demo_paths(root)
    if get_rank() == 0:
        if not osp.isdir(paths.image_dir):
            _build_images(paths, logger)
        if with_proposals and not osp.exists(paths.proposals):
            from mmsoco.proposals import generate_store
            _log(logger, f'computing selective-search proposals for the demo '
                 f'set into {paths.proposals} (first use only)')
            generate_store(paths.image_dir, paths.proposals, workers=1)
    barrier()
    return paths


def _build_images(paths: DemoSet, logger) -> None:
    _log(logger, f'building the demo set in {paths.root} from '
         f'scikit-image\'s {len(DEMO_PHOTOS)} bundled photos (first use only)')
    os.makedirs(paths.root, exist_ok=True)
    tmp = tempfile.mkdtemp(prefix='.images-', dir=paths.root)
    try:
        for name in DEMO_PHOTOS:
            stem = osp.splitext(name)[0]
            _write_photo(osp.join(skimage_photo_dir(), name),
                         osp.join(tmp, f'{stem}.jpg'))
        publish_dir(tmp, paths.image_dir)
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _log(logger, msg: str) -> None:
    if logger is None:
        from mmengine.logging import print_log
        print_log(msg, logger='current')
    else:
        logger.info(msg)


__all__ = ['build_demo_set', 'demo_paths', 'DEMO_PHOTOS', 'DemoSet']
