from .queue_length_check_hook import QueueLengthCheckHook, QueueTooShortError
from .soco_target_hook import SoCoTargetHook

__all__ = ['SoCoTargetHook', 'QueueLengthCheckHook', 'QueueTooShortError']
