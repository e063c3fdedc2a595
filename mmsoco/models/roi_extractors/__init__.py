from .box_roi_pooler import BoxRoIPooler

__all__ = ['BoxRoIPooler']
