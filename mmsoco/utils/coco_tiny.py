"""Where the project's small labelled COCO set (coco_tiny) lives: the one
rule shared by the tests, the chain tool and the benchmarks."""
import os
import os.path as osp
from typing import List

COCO_TINY_ENV = 'MMSOCO_COCO_TINY'
COCO_LAYOUT = ('train2017', 'val2017', 'annotations')
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def coco_tiny_root() -> str:
    """``$MMSOCO_COCO_TINY``, else ``../shared/data/coco_tiny`` beside the
    repository (a folder holding train2017/, val2017/, annotations/)."""
    return osp.abspath(os.environ.get(COCO_TINY_ENV) or osp.join(
        osp.dirname(REPO), 'shared', 'data', 'coco_tiny'))


def missing_coco_layout(root: str) -> List[str]:
    """The folders of the COCO 2017 layout that ``root`` lacks."""
    return [d for d in COCO_LAYOUT if not osp.isdir(osp.join(root, d))]


__all__ = ['COCO_TINY_ENV', 'COCO_LAYOUT', 'coco_tiny_root',
           'missing_coco_layout']
