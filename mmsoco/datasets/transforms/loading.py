"""Decode an image file to RGB uint8 at its original size."""
from mmcv.transforms import BaseTransform

from mmsoco.image_set import load_rgb
from mmsoco.registry import TRANSFORMS


@TRANSFORMS.register_module()
class LoadImageRGB(BaseTransform):
    """results['img_path'] -> results['img'] (RGB uint8 HxWx3),
    'img_shape' and 'ori_shape'.

    Decoded by :func:`mmsoco.image_set.load_rgb`, the proposals tool's
    decoder (same EXIF orientation, 16-bit and alpha handling, so boxes in
    original pixels match), at full resolution. A file that cannot be used
    raises :class:`mmsoco.image_set.BadImage` (an OSError) naming the path.
    """

    def transform(self, results: dict) -> dict:
        path = results['img_path']
        try:
            img = load_rgb(path)
        except OSError as e:
            raise type(e)(f'{path}: {e}') from None
        results['img'] = img
        results['img_shape'] = results['ori_shape'] = img.shape[:2]
        return results
