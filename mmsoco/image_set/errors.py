"""The image set's error type."""


class ImageSetError(ValueError):
    """An image set that cannot be listed; the message is one line with the
    path and the fix."""


__all__ = ['ImageSetError']
