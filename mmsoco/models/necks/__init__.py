from .mlp import SoCoMLP

__all__ = ['SoCoMLP']
