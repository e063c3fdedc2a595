"""``SoCoTargetHook``: the name ``MomentumTargetHook`` had before InsLoc
shared it, kept so that configs and checkpoints written before still work.
"""
from mmsoco.registry import HOOKS
from .momentum_target_hook import MomentumTargetHook


@HOOKS.register_module()
class SoCoTargetHook(MomentumTargetHook):
    """Old name of :class:`MomentumTargetHook` (same behaviour)."""
