"""Decode an image file to RGB uint8 at its original size."""
import cv2
import numpy as np
from mmcv.transforms import BaseTransform

from mmsoco.registry import TRANSFORMS


def read_rgb(path: str) -> np.ndarray:
    """Plain full-resolution decode (boxes are in original pixels, so no
    IMREAD_REDUCED_*), EXIF orientation applied like the proposals tool,
    grey and 4-channel files returned as 3-channel RGB."""
    img = cv2.imread(path, cv2.IMREAD_COLOR)
    if img is None:
        raise OSError(f'cannot decode image {path}: missing, unreadable or '
                      'not an image; remove it from the image list')
    return cv2.cvtColor(img, cv2.COLOR_BGR2RGB)


@TRANSFORMS.register_module()
class LoadImageRGB(BaseTransform):
    """results['img_path'] -> results['img'] (RGB uint8 HxWx3),
    'img_shape' and 'ori_shape'."""

    def transform(self, results: dict) -> dict:
        img = read_rgb(results['img_path'])
        results['img'] = img
        results['img_shape'] = results['ori_shape'] = img.shape[:2]
        return results
