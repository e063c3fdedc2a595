"""Image folders for the dataset tests (not collected): scikit-image's
bundled photos, bad files of the kinds users meet, an image that rots after
its proposals were made, and the image stats a proposals store records."""
import os
import os.path as osp
from typing import List

import cv2
import numpy as np

from mmsoco.datasets.demo import DEMO_PHOTOS, skimage_photo_dir
from mmsoco.image_set import load_rgb


def photo_folder(folder: str, n: int = 6, max_side: int = 320) -> List[str]:
    """``n`` scikit-image photos as JPEGs of at most ``max_side`` pixels;
    returns their keys."""
    os.makedirs(folder, exist_ok=True)
    keys = []
    for name in DEMO_PHOTOS[:n]:
        img = cv2.imread(osp.join(skimage_photo_dir(), name), cv2.IMREAD_COLOR)
        scale = max_side / max(img.shape[:2])
        img = cv2.resize(img, None, fx=scale, fy=scale,
                         interpolation=cv2.INTER_AREA)
        key = osp.splitext(name)[0] + '.jpg'
        assert cv2.imwrite(osp.join(folder, key), img)
        keys.append(key)
    return sorted(keys)


def add_bad_files(folder: str, good_key: str) -> List[str]:
    """Random bytes named like a JPEG and a JPEG cut in half."""
    rng = np.random.default_rng(0)
    with open(osp.join(folder, 'noise.jpg'), 'wb') as f:
        f.write(rng.integers(0, 256, 5000, dtype=np.uint8).tobytes())
    with open(osp.join(folder, good_key), 'rb') as f:
        data = f.read()
    with open(osp.join(folder, 'cut.jpg'), 'wb') as f:
        f.write(data[:len(data) // 2])
    return ['cut.jpg', 'noise.jpg']


def rot(path: str) -> None:
    """Overwrite a file with garbage of the same size and give it back its
    modification time: unreadable, yet its recorded stats still hold (what
    a failing disk or a half-synced network copy looks like)."""
    st = os.stat(path)
    with open(path, 'r+b') as f:
        f.write(np.random.default_rng(1).integers(
            0, 256, st.st_size, dtype=np.uint8).tobytes())
    os.utime(path, ns=(st.st_atime_ns, st.st_mtime_ns))


def image_stats(folder: str, keys: List[str]) -> np.ndarray:
    """(K, 4) width, height, file size, mtime_ns: a store's image_stats."""
    rows = []
    for key in keys:
        path = osp.join(folder, key)
        h, w = load_rgb(path).shape[:2]
        st = os.stat(path)
        rows.append((w, h, st.st_size, st.st_mtime_ns))
    return np.array(rows, np.int64)


def some_boxes(n: int, seed: int = 0) -> List[np.ndarray]:
    """n arrays of 8 integral boxes inside a 320 x 240 image."""
    rng = np.random.default_rng(seed)
    out = []
    for _ in range(n):
        xy = rng.uniform(0, 1, (8, 2)) * [150, 100]
        wh = rng.uniform(60, 120, (8, 2))
        out.append(np.round(np.concatenate([xy, xy + wh], 1)).astype(
            np.float32))
    return out


TEMPLATE = osp.join(osp.dirname(osp.dirname(osp.dirname(
    osp.abspath(__file__)))), 'configs', 'soco_r18_fpn_custom.py')


def dataset_cfg(data_root: str, proposals: str, **kw) -> dict:
    """The own-images template's dataset (views 160 / 160 / 80)."""
    from mmengine.config import Config
    ds = Config.fromfile(TEMPLATE).train_dataloader.dataset
    ds.update(data_root=data_root, proposals=proposals, **kw)
    return ds.to_dict()


def build_dataset(data_root: str, proposals: str, **kw):
    from mmengine.registry import init_default_scope

    from mmsoco.registry import DATASETS
    init_default_scope('mmsoco')
    return DATASETS.build(dataset_cfg(data_root, proposals, **kw))
