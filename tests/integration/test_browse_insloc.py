"""tools/browse_views.py on an InsLoc config: one PNG per sample with the
source image (and each composite's foreground crop), then the query and
key composites with their instance boxes; --seed makes it reproducible."""
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np

from ..helpers import REPO

PANEL = 320
GAP = 8
QUERY_BGR = (0, 200, 255)   # mmsoco/visualization/drawing.py VIEW_COLORS[1]
KEY_BGR = (255, 120, 0)     # VIEW_COLORS[2]


def browse(tool_env, images, lst, out):
    cmd = [sys.executable, osp.join(REPO, 'tools', 'browse_views.py'),
           osp.join(REPO, 'configs', 'insloc_r50_fpn_8xb32-200e_in1k.py'),
           '--data-root', images, '--ann-file', str(lst), '--num', '2',
           '--seed', '3', '--out', str(out)]
    res = subprocess.run(cmd, env=tool_env, capture_output=True, text=True,
                         timeout=300)
    assert res.returncode == 0, res.stderr[-3000:]
    return sorted(out.glob('*.png'))


def color_pixels(img, bgr) -> int:
    return int(np.all(img == np.array(bgr, np.uint8), axis=2).sum())


def test_browse_views_draws_insloc_composites(photo_folder, tmp_path,
                                              tool_env):
    images = photo_folder
    keys = sorted(k for k in os.listdir(images) if k.endswith('.jpg'))[:3]
    lst = tmp_path / 'list.txt'
    lst.write_text('\n'.join(keys))
    pngs = browse(tool_env, images, lst, tmp_path / 'png')
    assert [p.name for p in pngs] == [
        f'{i:05d}_{osp.splitext(k)[0]}.png' for i, k in enumerate(keys[:2])]
    assert not list((tmp_path / 'png').glob('*.tmp'))
    for png, key in zip(pngs, keys):
        img = cv2.imread(str(png))
        src = cv2.imread(osp.join(images, key))
        src_w = int(round(src.shape[1] * PANEL / src.shape[0]))
        # source panel + 2 square 256-pixel composites, each 320 px high
        assert img.shape == (PANEL, src_w + 2 * (GAP + PANEL), 3)
        source = img[:, :src_w]
        query = img[:, src_w + GAP:src_w + GAP + PANEL]
        key_panel = img[:, src_w + 2 * GAP + PANEL:]
        # real pictures, not blank panels
        for panel in (source, query, key_panel):
            assert panel.std() > 20
        # the source panel is the image (away from the drawn frames)
        fitted = cv2.resize(src, (src_w, PANEL), interpolation=cv2.INTER_AREA)
        close = np.abs(source.astype(int) - fitted.astype(int)).max(2) <= 2
        assert close.mean() > 0.6
        # each composite carries its box in its colour; the source panel
        # both crop frames
        assert color_pixels(query, QUERY_BGR) > 100
        assert color_pixels(key_panel, KEY_BGR) > 100
        assert color_pixels(source, QUERY_BGR) > 50
        assert color_pixels(source, KEY_BGR) > 50
    # --seed fixes crops, colour, flips and backgrounds: same PNGs again
    again = browse(tool_env, images, lst, tmp_path / 'again')
    for a, b in zip(pngs, again):
        assert a.read_bytes() == b.read_bytes()
