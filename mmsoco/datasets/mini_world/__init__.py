"""A mini detection world: real object photos with alpha masks (Debian's
tuxpaint stamps) pasted onto real background photos, written as a
COCO-format data set (see docs/mini_world.md)."""
from .composite import (CompositeSettings, background_crop,
                        calm_background, compose, instance_annotations,
                        mask_to_rle, paste, rle_to_mask, transform_stamp)
from .preview import draw_samples
from .stamps import (STAMPS_PACKAGE, STAMPS_ROOT, StampsMissingError,
                     load_stamp, split_stamps, stamp_catalogue)
from .writer import (SPLITS, WorldInputError, make_world, render_image,
                     split_pools, world_plan)

__all__ = [
    'CompositeSettings', 'background_crop', 'calm_background', 'compose',
    'instance_annotations', 'mask_to_rle', 'paste', 'rle_to_mask',
    'transform_stamp', 'STAMPS_PACKAGE', 'STAMPS_ROOT', 'StampsMissingError',
    'load_stamp', 'split_stamps', 'stamp_catalogue', 'SPLITS',
    'WorldInputError', 'make_world', 'render_image', 'split_pools',
    'world_plan',
    'draw_samples'
]
