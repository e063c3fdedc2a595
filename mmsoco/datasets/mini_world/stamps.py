"""The stamp catalogue of the mini detection world: real object photos with
alpha masks from Debian's ``tuxpaint-stamps-default`` package, one category
per second-level folder (``animals/birds``, ``food/fruit``, ...).

Category rule: every second-level folder of the stamp tree that holds at
least ``min_stamps`` PNG stamps with an alpha channel (searched
recursively; ``*_mirror.png`` files are mirror images of another stamp and
are left out), except the ``symbols`` tree (letters, digits, coins: flat
glyphs rather than objects) and the ``seasonal`` tree (themes mixing
unrelated objects). The stamps of a category are split, by the world's
seed, into a *seen* pool (pasted into ``unlabeled/``) and a *held-out*
pool (pasted into the labelled ``train/`` and ``val/``).
"""
import os
import os.path as osp
from typing import Dict, List, Optional, Sequence

import cv2
import numpy as np

STAMPS_ROOT = '/usr/share/tuxpaint/stamps'
STAMPS_PACKAGE = 'tuxpaint-stamps-default'
EXCLUDED_TREES = ('symbols', 'seasonal')
MIN_STAMPS = 10
MAX_STAMP_SIDE = 160  # stamps are shrunk to this once, at load time


class StampsMissingError(RuntimeError):
    """The stamp photos are not installed; the message is one line with the
    fix."""


def _has_alpha(path: str) -> bool:
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    return img is not None and img.ndim == 3 and img.shape[2] == 4 \
        and int(img[..., 3].min()) < 128 and int(img[..., 3].max()) >= 128


def stamp_catalogue(root: str = STAMPS_ROOT, min_stamps: int = MIN_STAMPS,
                    excluded: Sequence[str] = EXCLUDED_TREES
                    ) -> Dict[str, List[str]]:
    """``{category: [stamp path relative to root, ...]}`` (sorted), for the
    categories of the rule above."""
    if not osp.isdir(root):
        raise StampsMissingError(
            f'{root}: no stamp photos; install them with `apt-get install '
            f'{STAMPS_PACKAGE}` (or pass --stamps DIR)')
    cats = {}
    for top in sorted(os.listdir(root)):
        if top in excluded or not osp.isdir(osp.join(root, top)):
            continue
        for sub in sorted(os.listdir(osp.join(root, top))):
            folder = osp.join(root, top, sub)
            if not osp.isdir(folder):
                continue
            files = []
            for dirpath, dirnames, names in os.walk(folder):
                dirnames.sort()
                for n in sorted(names):
                    if n.endswith('.png') and not n.endswith('_mirror.png'):
                        path = osp.join(dirpath, n)
                        if _has_alpha(path):
                            files.append(osp.relpath(path, root))
            if len(files) >= min_stamps:
                cats[f'{top}/{sub}'] = sorted(files)
    if not cats:
        raise StampsMissingError(
            f'{root}: no folder with {min_stamps} stamps with alpha; '
            f'install `{STAMPS_PACKAGE}` or pass --stamps DIR')
    return cats


def split_stamps(catalogue: Dict[str, List[str]], seed: int,
                 held_out_share: float = 1 / 3,
                 min_held_out: int = 3) -> Dict[str, Dict[str, List[str]]]:
    """``{'seen': {cat: [...]}, 'held_out': {cat: [...]}}``: per category,
    a seeded shuffle; the first ``max(min_held_out, round(share n))`` stamps
    are held out (the labelled splits), the rest are seen (unlabeled)."""
    out = dict(seen={}, held_out={})
    for i, (cat, files) in enumerate(sorted(catalogue.items())):
        order = np.random.default_rng([seed, 7, i]).permutation(len(files))
        n_out = max(min_held_out, int(round(held_out_share * len(files))))
        n_out = min(n_out, len(files) - 1)
        shuffled = [files[j] for j in order]
        out['held_out'][cat] = sorted(shuffled[:n_out])
        out['seen'][cat] = sorted(shuffled[n_out:])
    return out


def load_stamp(path: str, max_side: int = MAX_STAMP_SIDE
               ) -> Optional[np.ndarray]:
    """RGBA uint8 (H, W, 4) cropped to its opaque part and shrunk to at most
    ``max_side``; None if unreadable."""
    img = cv2.imread(path, cv2.IMREAD_UNCHANGED)
    if img is None or img.ndim != 3 or img.shape[2] != 4:
        return None
    img = cv2.cvtColor(img, cv2.COLOR_BGRA2RGBA)
    ys, xs = np.nonzero(img[..., 3] >= 128)
    if not len(ys):
        return None
    img = img[ys.min():ys.max() + 1, xs.min():xs.max() + 1]
    scale = max_side / max(img.shape[:2])
    if scale < 1:
        img = cv2.resize(img, (max(1, round(img.shape[1] * scale)),
                               max(1, round(img.shape[0] * scale))),
                         interpolation=cv2.INTER_AREA)
    return np.ascontiguousarray(img)
