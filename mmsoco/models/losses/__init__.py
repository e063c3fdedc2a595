from .info_nce import info_nce_loss, multi_level_info_nce
from .soco_loss import normalized_cosine_loss, symmetric_soco_loss

__all__ = ['normalized_cosine_loss', 'symmetric_soco_loss', 'info_nce_loss',
           'multi_level_info_nce']
