"""Where the project's small labelled COCO set (coco_tiny) lives: the one
rule shared by the tests, the chain tool and the benchmarks."""
import os
import os.path as osp

COCO_TINY_ENV = 'MMSOCO_COCO_TINY'
REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))


def coco_tiny_root() -> str:
    """``$MMSOCO_COCO_TINY``, else ``../shared/data/coco_tiny`` beside the
    repository (a folder holding train2017/, val2017/, annotations/)."""
    return osp.abspath(os.environ.get(COCO_TINY_ENV) or osp.join(
        osp.dirname(REPO), 'shared', 'data', 'coco_tiny'))


__all__ = ['COCO_TINY_ENV', 'coco_tiny_root']
