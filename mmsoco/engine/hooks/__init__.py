from .momentum_target_hook import MomentumTargetHook
from .queue_length_check_hook import QueueLengthCheckHook, QueueTooShortError
from .soco_data_hook import SoCoDataHook
from .soco_target_hook import SoCoTargetHook

__all__ = ['MomentumTargetHook', 'SoCoTargetHook', 'SoCoDataHook',
           'QueueLengthCheckHook', 'QueueTooShortError']
