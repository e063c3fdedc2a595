"""tools/browse_views.py writes one PNG per sample with every view."""
import os
import os.path as osp
import subprocess
import sys

import cv2
import numpy as np
from mmsoco.proposals import write_store

from ..helpers import REPO


def test_browse_views_writes_one_png_per_sample(photo_folder, tmp_path,
                                                tool_env):
    images = photo_folder
    keys = sorted(k for k in os.listdir(images) if k.endswith('.jpg'))[:3]
    rng = np.random.default_rng(0)
    boxes = []
    for key in keys:
        # 10 boxes of about a third of the image, inside it
        h, w = cv2.imread(osp.join(images, key)).shape[:2]
        size = np.array([w, h]) * 0.35
        xy = rng.uniform(0, 1, (10, 2)) * (np.array([w, h]) - size)
        boxes.append(np.round(np.concatenate([xy, xy + size], 1)))
    store = write_store(str(tmp_path / 'store'), keys, boxes)
    lst = tmp_path / 'list.txt'
    lst.write_text('\n'.join(keys))
    out = tmp_path / 'png'
    cmd = [sys.executable, osp.join(REPO, 'tools', 'browse_views.py'),
           osp.join(REPO, 'configs', '_base_', 'datasets',
                    'soco-star_imagenet.py'),
           '--data-root', images, '--proposals', store, '--num', '2',
           '--ann-file', str(lst),
           '--out', str(out)]
    res = subprocess.run(cmd, env=tool_env, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 0, res.stderr
    pngs = sorted(out.glob('*.png'))
    assert [p.name[:5] for p in pngs] == ['00000', '00001']
    img = cv2.imread(str(pngs[0]))
    # original + 4 views, each 320 px high, views square
    assert img.shape[0] == 320 and img.shape[1] > 4 * 320 + 4 * 8
    assert not list(out.glob('*.tmp'))


def test_browse_views_bad_root_is_one_line(tmp_path, tool_env):
    cmd = [sys.executable, osp.join(REPO, 'tools', 'browse_views.py'),
           osp.join(REPO, 'configs', '_base_', 'datasets',
                    'soco_imagenet.py'),
           '--data-root', str(tmp_path / 'missing'), '--out',
           str(tmp_path / 'o')]
    res = subprocess.run(cmd, env=tool_env, capture_output=True, text=True,
                         timeout=120)
    assert res.returncode == 2
    lines = res.stderr.strip().splitlines()
    assert len(lines) == 1 and 'generate_proposals.py' in lines[0]
