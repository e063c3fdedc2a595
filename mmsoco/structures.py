"""The data sample that SoCo's pipeline hands to the model."""
from mmengine.structures import BaseDataElement
from torch import Tensor


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

    @property
    def pair_boxes(self) -> Tensor:
        return self._pair_boxes

    @pair_boxes.setter
    def pair_boxes(self, value: Tensor) -> None:
        self.set_field(value, '_pair_boxes', dtype=Tensor)

    @pair_boxes.deleter
    def pair_boxes(self) -> None:
        del self._pair_boxes

    @property
    def pair_ids(self) -> Tensor:
        return self._pair_ids

    @pair_ids.setter
    def pair_ids(self, value: Tensor) -> None:
        self.set_field(value, '_pair_ids', dtype=Tensor)

    @pair_ids.deleter
    def pair_ids(self) -> None:
        del self._pair_ids
