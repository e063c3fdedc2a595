from .soco_loss import normalized_cosine_loss, symmetric_soco_loss

__all__ = ['normalized_cosine_loss', 'symmetric_soco_loss']
