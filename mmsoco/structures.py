"""The data samples that SoCo's and InsLoc's pipelines hand to the model,
and the key of the sample seed they carry.

``VIEW_SEED_KEY``: in training the datasets put ``(seed, epoch, index)``
(from a seeded sampler's index) under this key of the pipeline's results;
the view transforms draw from it, and InsLoc's packing passes it on in the
data sample's metainfo, where the model seeds its box augmentation and
shuffle-BN with it.
"""
from mmengine.structures import BaseDataElement
from torch import Tensor

VIEW_SEED_KEY = 'view_seed'


def _tensor_field(name: str) -> property:
    """A data field that holds a tensor (stored as ``_<name>``), as mmdet's
    data samples declare theirs."""
    private = '_' + name

    def get(self) -> Tensor:
        return getattr(self, private)

    def set_(self, value: Tensor) -> None:
        self.set_field(value, private, dtype=Tensor)

    def delete(self) -> None:
        delattr(self, private)

    return property(get, set_, delete)


class SoCoDataSample(BaseDataElement):
    """One image's matched boxes across its views.

    Data fields:
        pair_boxes: float32 (P, 2, K, 4): for pair p = (1, p + 2),
            ``[p, 0]`` are K boxes in view 1's pixels and ``[p, 1]`` K boxes
            of the same proposals in view p + 2's pixels (x1 y1 x2 y2).
        pair_ids: int64 (P, 2, K): the proposal index of each row of each
            side (-1: the whole view, used when a pair shares no proposal);
            the sides may be padded independently, so rows are matched by
            id. (P, K) means the same ids on both sides.
    Meta fields: ``view_shapes`` [(H, W) per view], ``img_path``,
    ``ori_shape``, ``flips``, ``crops`` (x, y, w, h in original pixels).
    """

    pair_boxes = _tensor_field('pair_boxes')
    pair_ids = _tensor_field('pair_ids')


class InsLocDataSample(BaseDataElement):
    """One composite pair's instance box in each view.

    Data fields:
        view_boxes: float32 (V, 4): row v is the instance box in view v's
            pixels (x1 y1 x2 y2); V = 2 (query, key).
    Meta fields: ``img_path``, ``ori_shape``, ``view_shapes``, ``flips``,
    ``bg_paths`` and, in training, ``view_seed`` (``VIEW_SEED_KEY``).
    """

    view_boxes = _tensor_field('view_boxes')
