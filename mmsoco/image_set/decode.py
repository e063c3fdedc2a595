"""Decode any image file to RGB uint8 HxWx3, or say precisely why not.

The one decoder of mmsoco: the proposals tool and the training pipelines
both call :func:`load_rgb`, so EXIF orientation (applied by OpenCV), and
therefore box coordinates, agree. Grayscale, palette and RGBA images become
3-channel RGB (alpha dropped), 16-bit images are scaled to 8 bits. Anything
that is not a regular file (a FIFO, a device, a folder named ``x.jpg``) is
refused without being opened for a blocking read, so no input can hang.
"""
import os
import stat
from typing import Tuple

import cv2
import numpy as np


class BadImage(OSError):
    """An image file that cannot be used; the message is the reason."""


def check_complete(data: bytes) -> None:
    """Raise BadImage for empty files and truncated JPEG / PNG streams.

    OpenCV decodes a truncated JPEG silently (grey bottom rows), so a JPEG
    whose end-of-image marker is not near its end, or a PNG without its
    IEND chunk, is fully decoded once more by Pillow, which tells a
    truncated stream from one with trailing bytes.
    """
    if not data:
        raise BadImage('empty file (0 bytes)')
    if data[:2] == b'\xff\xd8' and b'\xff\xd9' not in data[-64:]:
        _pillow_check(data, 'truncated JPEG (no end-of-image marker)')
    if data[:8] == b'\x89PNG\r\n\x1a\n' and b'IEND' not in data[-16:]:
        _pillow_check(data, 'truncated PNG (no IEND chunk)')


def _pillow_check(data: bytes, reason: str) -> None:
    import io

    from PIL import Image
    try:
        with Image.open(io.BytesIO(data)) as im:
            im.load()
    except Exception as e:
        raise BadImage(f'{reason}: {str(e)[:80]}')


def decode_rgb(data: bytes) -> np.ndarray:
    """Bytes of an image file -> RGB uint8 HxWx3 (raises BadImage)."""
    check_complete(data)
    buf = np.frombuffer(data, np.uint8)
    try:
        img = cv2.imdecode(buf, cv2.IMREAD_COLOR | cv2.IMREAD_ANYDEPTH)
    except cv2.error as e:
        raise BadImage(f'corrupt image data ({str(e).strip()[:80]})')
    if img is None or img.size == 0:
        raise BadImage('not a decodable image (unknown format or corrupt '
                       'data)')
    if img.dtype == np.uint16:
        img = (img.astype(np.float32) * (255.0 / 65535.0) + 0.5).astype(
            np.uint8)
    elif img.dtype != np.uint8:
        img = np.clip(img.astype(np.float32) * 255.0 /
                      max(float(img.max()), 1e-6), 0, 255).astype(np.uint8)
    if img.ndim == 2:
        img = np.repeat(img[:, :, None], 3, axis=2)
    return np.ascontiguousarray(img[:, :, ::-1])


def read_image_file(path: str) -> Tuple[bytes, os.stat_result]:
    """The bytes of a regular file and its stat (raises BadImage).

    The file is opened non-blocking and checked with fstat before any read,
    so a FIFO or device named like an image is refused at once.
    """
    try:
        fd = os.open(path, os.O_RDONLY | os.O_NONBLOCK)
    except OSError as e:
        raise BadImage(f'cannot read file ({e.strerror or e})')
    try:
        st = os.fstat(fd)
        if not stat.S_ISREG(st.st_mode):
            raise BadImage('not a regular file (a FIFO, device or folder); '
                           'remove it from the image set')
        os.set_blocking(fd, True)
        with os.fdopen(fd, 'rb', closefd=False) as f:
            data = f.read()
    except OSError as e:
        if isinstance(e, BadImage):
            raise
        raise BadImage(f'cannot read file ({e.strerror or e})')
    finally:
        os.close(fd)
    return data, st


def load_rgb(path: str) -> np.ndarray:
    """Read and decode one file (raises BadImage with the reason)."""
    return decode_rgb(read_image_file(path)[0])


__all__ = ['BadImage', 'load_rgb', 'decode_rgb', 'read_image_file',
           'check_complete']
