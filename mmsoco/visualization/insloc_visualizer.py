"""InsLoc's copy-paste composites with their instance boxes."""
import os.path as osp

import numpy as np
from mmengine.visualization import Visualizer

from mmsoco.image_set import load_rgb
from mmsoco.registry import VISUALIZERS
from .drawing import (VIEW_COLORS, crop_box, draw_box, rgb_panel,
                      side_by_side, title)

COMPOSITE_NAMES = ('query', 'key')


def composite_name(v: int) -> str:
    return COMPOSITE_NAMES[v] if v < len(COMPOSITE_NAMES) else f'view {v + 1}'


@VISUALIZERS.register_module()
class InsLocVisualizer(Visualizer):
    """Draws one InsLoc sample: the source image with the foreground crop of
    each composite (``query`` / ``key`` frames), then each composite as the
    model receives it (after colour and flip) with its instance box, titled
    with the image its background came from."""

    color_transforms = ('ViewColorAug', )

    def browse(self, dataset, index: int) -> np.ndarray:
        info = dataset.get_data_info(index)
        results = self.unpacked(dataset, info)
        img = load_rgb(info['img_path'])
        panel, s = rgb_panel(img)
        for v, params in enumerate(results['composites']):
            draw_box(panel, crop_box(params.crop) * s,
                     VIEW_COLORS[1 + v % 3], f'{composite_name(v)} crop')
        title(panel, f'{info.get("key", "")} {img.shape[1]}x{img.shape[0]}')
        panels = [panel]
        flips = results.get('flips', [False] * len(results['views']))
        bgs = results.get('bg_paths', [])
        for v, (view, box) in enumerate(zip(results['views'],
                                            results['view_boxes'])):
            panel, s = rgb_panel(view)
            box = np.asarray(box, np.float32).reshape(-1, 4)[0]
            draw_box(panel, box * s, VIEW_COLORS[1 + v % 3],
                     composite_name(v)[0])
            bg = f', bg {osp.basename(bgs[v])}' if v < len(bgs) else ''
            title(panel, f'{composite_name(v)} {view.shape[1]}x'
                  f'{view.shape[0]}' + (' flipped' if flips[v] else '') + bg)
            panels.append(panel)
        return side_by_side(panels)

    @staticmethod
    def unpacked(dataset, info: dict) -> dict:
        """The pipeline's results just before packing (the composites'
        crops, boxes, flips and background paths are still there)."""
        results = dict(info)
        for t in dataset.pipeline.transforms[:-1]:  # the last one packs
            results = t(results)
        return results
