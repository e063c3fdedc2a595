"""tools/analyze_proposals.py: statistics of known boxes, the recall on
coco_tiny val2017 equal to mmsoco.proposals.store.eval's, the small-object
advice, and the pictures."""
import json
import os
import os.path as osp
import re
import shutil
import subprocess
import sys

import cv2
import numpy as np
import pytest

from mmsoco.proposals import FILTERS, ProposalStore, generate_store
from mmsoco.proposals.store import analysis as an
from mmsoco.proposals.store.eval import eligible_gt, gt_boxes, recall
from mmsoco.proposals.store import write_store
from tests.helpers import REPO

TOOL = osp.join(REPO, 'tools', 'analyze_proposals.py')
VAL_KEYS = ['000000005001.jpg', '000000010764.jpg', '000000020992.jpg',
            '000000025603.jpg']


def run(tool_env, *args):
    return subprocess.run([sys.executable, TOOL, *args], env=tool_env,
                          capture_output=True, text=True, timeout=600)


def test_statistics_of_known_boxes(tmp_path):
    # 200x100 image: sqrt(wh/WH) of a 14x14 box is 0.099, of 100x40 0.447,
    # of 100x20 0.316
    boxes = [np.array([[0, 0, 14, 14], [10, 10, 110, 50], [0, 0, 100, 20]])]
    write_store(str(tmp_path / 's'), ['a.jpg'], boxes,
                image_stats=np.array([[200, 100, 1, 1]]))
    store = ProposalStore(str(tmp_path / 's'))
    sizes, origin, bad = an.image_sizes(store)
    assert sizes.tolist() == [[200, 100]] and origin == 'the store'
    stats = an.box_statistics(store, sizes)
    assert stats['rel_size'] == pytest.approx(
        [14 / np.sqrt(2e4), np.sqrt(0.2), np.sqrt(0.1)])
    assert stats['aspect'] == pytest.approx([1, 2.5, 5])
    assert stats['per_image'].tolist() == [3]
    text = '\n'.join(an.format_statistics(stats))
    rows = {m.group(1): int(m.group(2)) for m in re.finditer(
        r'^\s+(\S.*?)\s+(\d+)\s+[\d.]+%', text, re.M)}
    assert rows['0.05 - 0.1'] == 1 and rows['0.3 - 0.5'] == 2
    assert rows['0.5 - 0.8'] == 0 and rows['0.1 - 0.2'] == 0
    assert rows['1 - 2'] == 1 and rows['2 - 3'] == 1 and rows['>= 3'] == 1
    assert rows['< 1/3'] == 0


def test_small_object_preset_and_advice():
    small = FILTERS['small_objects'].stages[0]
    # a 12 px insect on a 1000 x 750 photo: kept by small_objects only
    insect = np.array([[500, 300, 512, 312]], np.float64)
    assert small.keep(insect, (1000, 750)).all()
    assert not FILTERS['ratio3size0308'].stages[0].keep(insect,
                                                        (1000, 750)).any()
    gt = {f'{i}.jpg': (np.array([[10, 10, 22 + i, 25]], np.float64),
                       (1000, 750)) for i in range(5)}
    gt['big.jpg'] = (np.array([[0, 0, 500, 400]], np.float64), (1000, 750))
    advice = an.filter_advice(gt, FILTERS['ratio3size0308'])
    assert 'could keep 1 of 6 (17%)' in advice
    assert '--filter small_objects (keeps 6 of them, 100%' in advice
    assert an.filter_advice(gt, FILTERS['small_objects']) is None


@pytest.fixture(scope='module')
def val_store(coco_tiny, tmp_path_factory):
    out = str(tmp_path_factory.mktemp('analyze') / 'store')
    images = osp.join(coco_tiny, 'val2017')
    res = generate_store([osp.join(images, k) for k in VAL_KEYS], out,
                         image_root=images, progress=False)
    return res.path


@pytest.fixture(scope='module')
def photo_store(small_photo_folder, tmp_path_factory):
    """A store of 4 of the bundled photos (no COCO needed)."""
    out = str(tmp_path_factory.mktemp('analyze_photos') / 'store')
    keys = sorted(k for k in os.listdir(small_photo_folder)
                  if k.endswith('.jpg'))[:4]
    assert len(keys) == 4
    res = generate_store([osp.join(small_photo_folder, k) for k in keys],
                         out, image_root=small_photo_folder, progress=False)
    return res.path


@pytest.fixture(scope='module')
def old_photo_store(photo_store, tmp_path_factory):
    """The same store as one written before stores recorded image_stats."""
    out = str(tmp_path_factory.mktemp('analyze_photos_old') / 'store')
    shutil.copytree(photo_store, out)
    os.remove(osp.join(out, 'image_stats.npy'))
    return out


@pytest.fixture(scope='module')
def old_val_store(val_store, tmp_path_factory):
    """The same store as one written before stores recorded image_stats."""
    out = str(tmp_path_factory.mktemp('analyze_old') / 'store')
    shutil.copytree(val_store, out)
    os.remove(osp.join(out, 'image_stats.npy'))
    assert not ProposalStore(out).has_image_stats
    return out


def test_tool_recall_equals_eval_on_coco_tiny(coco_tiny, val_store,
                                              old_val_store, tmp_path,
                                              tool_env):
    ann = osp.join(coco_tiny, 'annotations', 'instances_val2017.json')
    out = tmp_path / 'pictures'
    proc = run(tool_env, val_store, '--ann', ann, '--show', '2', '--out',
               str(out))
    assert proc.returncode == 0, proc.stderr[-3000:]
    text = proc.stdout
    assert f'({len(VAL_KEYS)} of its 80 images are in the store)' in text
    store = ProposalStore(val_store)
    keys = list(store.keys())
    expected = {'all (non-crowd)': gt_boxes(ann),
                'keepable by ratio3size0308': eligible_gt(ann)}
    for label, gt in expected.items():
        m = re.search(re.escape(label) + r'\s+(\d+)\s+([\d.]+)\s+([\d.]+)',
                      text)
        assert m, text
        r5, r7 = recall(store, gt, keys, 0.5), recall(store, gt, keys, 0.7)
        assert int(m.group(1)) == r5.num_gt > 0
        assert float(m.group(2)) == round(r5.recall, 3)
        assert float(m.group(3)) == round(r7.recall, 3)
        assert r7.recall <= r5.recall
    # the GT size histogram counts every non-crowd GT box of these images
    lines = text.splitlines()
    at = lines.index('GT box size relative to the image, sqrt(wh / WH):')
    counts = [int(re.match(r'\s+\S+ - \S+\s+(\d+)', ln).group(1))
              for ln in lines[at + 1:at + 10]]
    assert sum(counts) == recall(store, expected['all (non-crowd)'],
                                 keys).num_gt
    # the filter check agrees with the share of keepable boxes
    all_n = recall(store, expected['all (non-crowd)'], keys).num_gt
    elig_n = recall(store, expected['keepable by ratio3size0308'],
                    keys).num_gt
    assert ('warning: most GT boxes are outside' in text) == \
        (2 * elig_n < all_n)
    # the sizes come from the store's image_stats ...
    assert 'image sizes from the store' in text
    # ... or, for a store written before it recorded them, from the images,
    # with the same statistics
    old = run(tool_env, old_val_store, '--ann', ann)
    assert old.returncode == 0, old.stderr[-3000:]
    assert 'image sizes from the images in' in old.stdout
    for label in expected:
        pick = re.compile(re.escape(label) + r'\s+\d+\s+[\d.]+\s+[\d.]+')
        assert pick.search(old.stdout).group(0) == pick.search(text).group(0)

    pictures = sorted(out.iterdir())
    assert len(pictures) == 2
    for p in pictures:
        img = cv2.imread(str(p))
        key = p.name.replace('.png', '.jpg')
        assert img.shape[:2] == cv2.imread(
            osp.join(coco_tiny, 'val2017', key)).shape[:2]
        # GT drawn in pure green
        assert ((img == (0, 255, 0)).all(2)).sum() > 50
    again = run(tool_env, val_store, '--show', '2', '--out', str(out))
    assert again.returncode == 2
    assert again.stderr.startswith('error: ') and 'exists (and 1 more)' in \
        again.stderr and len(again.stderr.strip().splitlines()) == 1


def test_store_image_stats_give_the_same_statistics(old_photo_store,
                                                     tmp_path):
    store = ProposalStore(old_photo_store)
    sizes, origin, bad = an.image_sizes(store)
    assert origin.startswith('the images in')
    assert not bad and (sizes > 0).all()
    copy = write_store(str(tmp_path / 'with_stats'), list(store.keys()),
                       [store.boxes_at(i) for i in range(len(store))],
                       dict(store.meta),
                       image_stats=np.c_[sizes, np.ones_like(sizes)])
    with_stats = ProposalStore(copy)
    sizes2, origin, _ = an.image_sizes(with_stats)
    assert origin == 'the store' and np.array_equal(sizes, sizes2)
    a, b = an.box_statistics(store, sizes), an.box_statistics(with_stats,
                                                                sizes2)
    for k in a:
        assert np.array_equal(a[k], b[k])
    # a sample of entries (--max-images) describes just those
    idx = an.sample_indices(len(store), 2)
    assert idx.tolist() == [0, 2] and an.sample_indices(4, 0).tolist() == \
        [0, 1, 2, 3]
    part = an.box_statistics(with_stats, sizes2[idx], idx)
    assert part['per_image'].tolist() == [len(store.boxes_at(i))
                                          for i in (0, 2)]
    assert len(part['rel_size']) == part['per_image'].sum()


def test_tool_bad_input_one_line(tmp_path, tool_env, photo_store,
                                 old_photo_store):
    proc = run(tool_env, str(tmp_path / 'nostore'))
    assert proc.returncode == 2
    assert proc.stderr.startswith('error: ') and 'not a proposal store' in \
        proc.stderr and 'Traceback' not in proc.stderr
    other = tmp_path / 'other.json'
    other.write_text(json.dumps(dict(images=[dict(
        id=1, file_name='x.jpg', width=10, height=10)], annotations=[],
        categories=[])))
    proc = run(tool_env, photo_store, '--ann', str(other))
    assert proc.returncode == 2 and 'none of the images of' in proc.stderr
    proc = run(tool_env, photo_store, '--show', '1')
    assert proc.returncode == 2 and '--show needs --out' in proc.stderr
    # sizes must be read from the images when the store lacks image_stats
    proc = run(tool_env, old_photo_store, '--image-root', str(tmp_path))
    assert proc.returncode == 2 and 'cannot read any image of' in \
        proc.stderr and 'pass --image-root' in proc.stderr
