"""A dataset's image set: :mod:`mmsoco.image_set` listing, with the
dataset's one-line errors and one log of the files left out."""
import logging

from mmengine.logging import MMLogger, print_log

from mmsoco.image_set import ImageList, ImageSetError, list_images
from .errors import DatasetConfigError


def list_image_set(dataset: str, ann_file: str, data_root: str) -> ImageList:
    """The images of ``data_root`` (or of the list ``ann_file`` relative to
    it); files that cannot be used are logged once, by name and reason."""
    try:
        listing = list_images(ann_file or data_root, data_root)
    except ImageSetError as e:
        raise DatasetConfigError(f'{dataset}: {e}') from None
    if listing.skipped:
        logger = MMLogger.get_current_instance()
        print_log(f'{dataset}: {len(listing.skipped)} file(s) under '
                  f'{listing.root} left out of the image set', logger=logger,
                  level=logging.WARNING)
        for key, reason in listing.skipped[:20]:
            print_log(f'  {key}: {reason}', logger=logger,
                      level=logging.WARNING)
    return listing


__all__ = ['list_image_set']
