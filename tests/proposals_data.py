"""Images the proposals tests make themselves (no external data needed)."""
import os

import cv2
import numpy as np

PHOTOS = ('coffee', 'chelsea', 'rocket', 'astronaut')


def photo(i: int, scale: float = 1.0) -> np.ndarray:
    """One of scikit-image's photos as RGB uint8 (optionally resized)."""
    import skimage.data
    rgb = getattr(skimage.data, PHOTOS[i % len(PHOTOS)])()
    if scale != 1.0:
        h, w = rgb.shape[:2]
        rgb = cv2.resize(rgb, (max(1, int(w * scale)), max(1, int(h * scale))),
                         interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(rgb)


def tiny_folder(root, n: int = 6, scale: float = 0.15, bad: bool = True):
    """A folder of ``n`` small JPEGs (a/img0.jpg, b/img1.jpg, ...) plus,
    when ``bad``, one corrupt file; returns the folder as a str."""
    os.makedirs(root, exist_ok=True)
    for i in range(n):
        sub = os.path.join(str(root), 'ab'[i % 2])
        os.makedirs(sub, exist_ok=True)
        cv2.imwrite(os.path.join(sub, f'img{i}.jpg'),
                    photo(i, scale)[:, :, ::-1])
    if bad:
        with open(os.path.join(str(root), 'corrupt.jpg'), 'wb') as f:
            f.write(b'not an image at all' * 10)
    return str(root)
