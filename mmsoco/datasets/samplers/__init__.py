"""Samplers whose indices carry the seed and epoch of a sample's views."""
from .sample_index import SampleIndex
from .seeded_default_sampler import SeededDefaultSampler
from .seeded_infinite_sampler import SeededInfiniteSampler

__all__ = ['SampleIndex', 'SeededDefaultSampler', 'SeededInfiniteSampler']
