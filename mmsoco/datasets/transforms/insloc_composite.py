"""InsLoc's two copy-paste composites (query, key) of one image."""
from typing import Sequence

from mmcv.transforms import BaseTransform

from mmsoco.image_set import load_rgb
from mmsoco.registry import TRANSFORMS
from . import insloc_functional as F
from .random_state import RandomStateMixin


@TRANSFORMS.register_module()
class InsLocCopyPaste(RandomStateMixin, BaseTransform):
    """results['img'] (the foreground image) and results['bg_paths'] (one
    other dataset image per composite, chosen by ``InsLocDataset``) ->
    ``views`` [canvas RGB uint8 per composite], ``view_boxes`` [(1, 4)
    float32 per composite], ``view_shapes``, ``composites``
    (:class:`~.insloc_functional.CompositeParams` per composite).

    Each composite draws its own crop, size, background and position.

    Args:
        num_views: composites per image (2: query and key).
        canvas: side of the square background (256).
        fore_range: foreground box sides, uniform in ``[lo, hi)``.
        scale, ratio: RandomResizedCrop area fraction and aspect range of
            the foreground crop.
    """

    def __init__(self, num_views: int = 2, canvas: int = F.CANVAS,
                 fore_range: Sequence[int] = F.FORE_RANGE,
                 scale: Sequence[float] = F.FG_SCALE,
                 ratio: Sequence[float] = F.FG_RATIO):
        self.num_views, self.canvas = num_views, canvas
        self.fore_range = tuple(fore_range)
        self.scale, self.ratio = tuple(scale), tuple(ratio)

    def _backgrounds(self, results: dict) -> list:
        if 'bg_imgs' in results:
            bgs = list(results['bg_imgs'])
        else:
            bgs = [load_rgb(p) for p in results.get('bg_paths', ())]
        if len(bgs) < self.num_views:
            raise KeyError(
                f'InsLocCopyPaste needs {self.num_views} background images in '
                "results['bg_paths'] (or 'bg_imgs'), got "
                f"{len(bgs)}; use InsLocDataset, which draws them")
        return bgs

    def transform(self, results: dict) -> dict:
        img, bgs = results['img'], self._backgrounds(results)
        rng = self.rng_for(results)
        params = [
            F.composite_params(img.shape[0], img.shape[1], rng,
                               self.canvas, self.fore_range, self.scale,
                               self.ratio) for _ in range(self.num_views)
        ]
        results['views'] = [F.render_composite(img, bg, p)
                            for bg, p in zip(bgs, params)]
        results['view_boxes'] = [p.box for p in params]
        results['view_shapes'] = [v.shape[:2] for v in results['views']]
        results['composites'] = params
        return results

    def __repr__(self) -> str:
        return (f'{type(self).__name__}(num_views={self.num_views}, '
                f'canvas={self.canvas}, fore_range={self.fore_range}, '
                f'scale={self.scale}, ratio={self.ratio})')
