from .insloc_projector import InsLocProjector
from .mlp import SoCoMLP

__all__ = ['SoCoMLP', 'InsLocProjector']
