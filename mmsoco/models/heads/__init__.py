from .conv_fc_embed_head import Shared4Conv1FCEmbedHead

__all__ = ['Shared4Conv1FCEmbedHead']
