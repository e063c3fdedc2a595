from .soco_target_hook import SoCoTargetHook

__all__ = ['SoCoTargetHook']
