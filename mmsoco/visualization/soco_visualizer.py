"""SoCo's views with their boxes, partner boxes in the same colour."""
import numpy as np
from mmengine.visualization import Visualizer

from mmsoco.image_set import load_rgb
from mmsoco.registry import VISUALIZERS
from .drawing import (VIEW_COLORS, crop_box, draw_box, id_color, rgb_panel,
                      side_by_side, title)


@VISUALIZERS.register_module()
class SoCoVisualizer(Visualizer):
    """Draws one SoCo sample: the original image with all its proposals
    (grey) and every view's crop (coloured frames), then every view as the
    model receives it with its boxes, labelled ``p<pair>:<id>`` (``id``:
    the proposal's index in the store, ``whole`` for the whole-view
    fallback), so partners across views share colour and label. Also a
    plain mmengine Visualizer for the Runner (scalars go to its
    ``vis_backends``)."""

    #: transforms left out by ``browse_views.py --no-color``
    color_transforms = ('ViewColorAug', 'InBoxCutout')

    def browse(self, dataset, index: int) -> np.ndarray:
        info = dataset.get_data_info(index)
        item = dataset.pipeline(dict(info))
        sample = item['data_samples']
        panels = [self.original_panel(info, sample.metainfo)]
        panels += self.view_panels(item['inputs'], sample)
        return side_by_side(panels)

    @staticmethod
    def original_panel(info: dict, meta: dict) -> np.ndarray:
        img = load_rgb(info['img_path'])
        panel, s = rgb_panel(img)
        for box in info.get('proposals', ()):
            draw_box(panel, np.asarray(box) * s, (160, 160, 160),
                     thickness=1)
        for v, crop in enumerate(meta.get('crops', [])):
            draw_box(panel, crop_box(crop) * s,
                     VIEW_COLORS[v % len(VIEW_COLORS)], f'view {v + 1}', 2)
        title(panel, f'{info.get("key", "")} {img.shape[1]}x{img.shape[0]}, '
              f'{len(info.get("proposals", ()))} proposals')
        return panel

    @staticmethod
    def view_panels(inputs, sample) -> list:
        pair_boxes = sample.pair_boxes.numpy()
        ids = sample.pair_ids.numpy()
        if ids.ndim == 2:  # (P, K): the same ids on both sides
            ids = np.stack([ids, ids], axis=1)
        flips = sample.metainfo.get('flips', [False] * len(inputs))
        panels = []
        for v, t in enumerate(inputs):
            panel, s = rgb_panel(t.numpy().transpose(1, 2, 0))
            rows = ([(p, 0) for p in range(len(ids))] if v == 0 else
                    [(v - 1, 1)])
            for p, side in rows:
                for k in range(pair_boxes.shape[2]):
                    pid = int(ids[p, side, k])
                    label = f'p{p + 1}:{pid if pid >= 0 else "whole"}'
                    draw_box(panel, pair_boxes[p, side, k] * s,
                             id_color(pid), label)
            title(panel, f'view {v + 1} {t.shape[2]}x{t.shape[1]}'
                  + (' flipped' if flips[v] else ''))
            panels.append(panel)
        return panels
