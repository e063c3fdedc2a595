"""Pictures of what the methods feed the model (``tools/browse_views.py``).

Each method's dataset config names its visualizer (``visualizer =
dict(type='SoCoVisualizer')``); the visualizer's ``browse(dataset, index)``
runs the pipeline for one sample and returns one BGR picture.
"""
from .insloc_visualizer import InsLocVisualizer
from .soco_visualizer import SoCoVisualizer

__all__ = ['SoCoVisualizer', 'InsLocVisualizer']
