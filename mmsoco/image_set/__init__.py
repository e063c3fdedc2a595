"""One image set for every part of mmsoco.

Listing (a folder searched recursively, or a list file), keys (paths
relative to the image root, '/'-joined) and decoding (RGB uint8, EXIF
orientation applied, 16-bit and alpha handled) live here and nowhere else:
the proposals tool, the datasets, the browsing tool and the benchmarks all
go through these functions, so proposals and training see the same files
under the same keys and the same pixels. Entries read from files (COCO
``file_name`` s, store keys, list lines) stay inside their image root
(:mod:`.roots`).
"""
from .decode import (BadImage, check_complete, decode_rgb, load_rgb,
                     read_image_file)
from .errors import ImageSetError
from .listing import IMAGE_EXTENSIONS, ImageList, list_images, resolve_root
from .roots import OutsideRootError, is_below, key_in_root, path_in_root

__all__ = ['BadImage', 'check_complete', 'decode_rgb', 'load_rgb',
           'read_image_file', 'IMAGE_EXTENSIONS', 'ImageList',
           'ImageSetError', 'list_images', 'resolve_root',
           'OutsideRootError', 'is_below', 'key_in_root', 'path_in_root']
