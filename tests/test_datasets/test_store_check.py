"""A proposals store must be the one made for these images as they are now
(mmsoco.datasets.store_check), and every message that says how to make one
gives the exact command with its output path, never one that overwrites
another image set's store. Plus the image-set inputs users get wrong: a
JSON as the data root, a link loop, a space in a list file's path."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from mmsoco.datasets import DatasetConfigError, DatasetMismatchError
from mmsoco.datasets import store_check
from mmsoco.datasets.store_check import (changed_images, make_store_command,
                                         suggest_store_path)
from mmsoco.proposals import write_store

from .image_folders import build_dataset, image_stats, photo_folder, some_boxes


def one_line(exc_info) -> str:
    msg = str(exc_info.value)
    assert '\n' not in msg, msg
    return msg


@pytest.fixture
def photos(tmp_path):
    images = str(tmp_path / 'images')
    keys = photo_folder(images, n=4)
    return images, keys


def stats_store(path, images, keys):
    return write_store(path, keys, some_boxes(len(keys)),
                       image_stats=image_stats(images, keys))


@pytest.fixture
def warnings(monkeypatch):
    said = []
    monkeypatch.setattr(store_check, '_warn',
                        lambda msg, level='WARNING': said.append(
                            (level, msg)))
    return said


def test_a_store_whose_images_changed_is_refused(photos, tmp_path,
                                                  warnings):
    images, keys = photos
    store = stats_store(str(tmp_path / 'store'), images, keys)
    assert len(build_dataset(images, store)) == 4 and warnings == []
    # resized in place
    path = osp.join(images, keys[1])
    img = cv2.imread(path)
    cv2.imwrite(path, cv2.resize(img, None, fx=0.5, fy=0.5))
    with pytest.raises(DatasetMismatchError) as e:
        build_dataset(images, store)
    msg = one_line(e)
    assert f'proposals store {store} was made for these images before ' \
        'they changed' in msg
    assert f"1 of 4 checked images differ (e.g. '{keys[1]}'" in msg
    assert msg.endswith(f'remake it with: python tools/generate_proposals.py '
                        f'{images} {store} --overwrite')
    # the check can be sampled or switched off
    build_dataset(images, store, check_image_stats=False)
    build_dataset(images, store, check_image_stats=1)  # checks keys[0] only


def test_copies_with_a_new_mtime_are_accepted(photos, tmp_path, warnings):
    images, keys = photos
    store = stats_store(str(tmp_path / 'store'), images, keys)
    for key in keys:  # what `cp` without -p does
        os.utime(osp.join(images, key), ns=(1, 10**18))
    assert len(build_dataset(images, store)) == 4
    assert len(warnings) == 1 and warnings[0][0] == 'INFO'
    assert '4 image(s) have a new modification time' in warnings[0][1]


def test_changed_images_reads_the_header_when_only_mtime_moved(photos):
    images, keys = photos
    paths = [osp.join(images, k) for k in keys[:2]]
    rec = image_stats(images, keys[:2])
    assert changed_images(paths, rec) == ([], 0)
    rec[:, 3] -= 5  # new mtime, same size
    assert changed_images(paths, rec) == ([], 2)
    rec[1, 0] += 10  # ... and the header says another width
    changed, accepted = changed_images(paths, rec)
    assert accepted == 1 and [n for n, _ in changed] == [1]
    assert 'x' in changed[0][1] and 'now' in changed[0][1]
    rec[0, 2] += 1  # another file size: changed without reading anything
    assert [n for n, _ in changed_images(paths, rec, header_checks=0)[0]] \
        == [0]


def test_a_store_without_stats_is_used_with_one_warning(photos, tmp_path,
                                                        warnings):
    images, keys = photos
    store = write_store(str(tmp_path / 'old'), keys, some_boxes(len(keys)))
    assert len(build_dataset(images, store)) == 4
    assert len(warnings) == 1
    assert 'records no image sizes' in warnings[0][1]
    assert f'{images} {store} --overwrite' in warnings[0][1]


def test_missing_store_messages_name_the_output(photos, tmp_path):
    images, _ = photos
    missing = str(tmp_path / 'no store')
    with pytest.raises(DatasetConfigError) as e:
        build_dataset(images, missing)
    assert one_line(e).endswith(
        f"make it with: python tools/generate_proposals.py {images} "
        f"'{missing}'")
    with pytest.raises(DatasetConfigError) as e:
        build_dataset(images, '')
    msg = one_line(e)
    assert 'no proposals store given' in msg
    assert (f'python tools/generate_proposals.py {images} '
            f'{images}_proposals, then set train_dataloader.dataset.'
            f'proposals={images}_proposals') in msg
    with pytest.raises(DatasetConfigError) as e:
        build_dataset(str(tmp_path / 'nowhere'), missing)
    assert one_line(e).endswith(
        f"python tools/generate_proposals.py {tmp_path}/nowhere "
        f"'{missing}'")


def test_another_image_sets_store_is_never_the_suggested_output(
        photos, tmp_path):
    images, _ = photos
    other = write_store(f'{images}_proposals', ['a/b.jpg', 'c.jpg'],
                        some_boxes(2))
    with pytest.raises(DatasetMismatchError) as e:
        build_dataset(images, other)
    msg = one_line(e)
    assert '0 of 4 found' in msg and 'made for other images' in msg
    new = f'{images}_proposals_2'  # the first free name
    assert (f'python tools/generate_proposals.py {images} {new}, then set '
            f'train_dataloader.dataset.proposals={new}') in msg
    assert '--overwrite' not in msg and f'{images} {other},' not in msg


def test_store_commands():
    assert make_store_command('a b', 'out') == \
        "python tools/generate_proposals.py 'a b' out"
    assert make_store_command('imgs', 's', 'imgs/train.txt', True) == (
        'python tools/generate_proposals.py imgs/train.txt s --image-root '
        'imgs --overwrite')
    assert suggest_store_path('data/x/') == 'data/x_proposals'
    assert suggest_store_path('data/x', 'data/x/val.txt') == \
        'data/x_val_proposals'
    assert suggest_store_path('data/x', avoid=['data/x_proposals']) == \
        'data/x_proposals_2'


def test_json_as_data_root_or_list(photos, tmp_path):
    images, keys = photos
    store = write_store(str(tmp_path / 'store'), keys, some_boxes(len(keys)))
    coco = tmp_path / 'instances_train.json'
    coco.write_text('{"images": [], "annotations": []}')
    with pytest.raises(DatasetConfigError) as e:
        build_dataset(str(coco), store)
    msg = one_line(e)
    assert f'data_root {coco} is a file, not an image folder' in msg
    assert 'JSON' in msg
    with pytest.raises(DatasetConfigError) as e:
        build_dataset(images, store, ann_file=str(coco))
    assert f'{coco} is a JSON file' in one_line(e)


def test_a_link_loop_lists_each_image_once(photos, tmp_path):
    images, keys = photos
    os.makedirs(osp.join(images, 'sub'))
    os.rename(osp.join(images, keys[0]), osp.join(images, 'sub', keys[0]))
    os.symlink('..', osp.join(images, 'sub', 'up'))  # sub/up -> images
    keys = sorted(keys[1:] + [f'sub/{keys[0]}'])
    store = write_store(str(tmp_path / 'store'), keys, some_boxes(len(keys)))
    ds = build_dataset(images, store)
    assert sorted(ds.get_data_info(i)['key'] for i in range(len(ds))) == keys
    assert ds.num_missing == 0


def test_a_space_in_a_list_files_path(photos, tmp_path):
    images, keys = photos
    os.rename(osp.join(images, keys[2]), osp.join(images, 'my photo.jpg'))
    listed = [keys[0], 'my photo.jpg']
    lst = tmp_path / 'list.txt'
    lst.write_text(''.join(f'{k}\n' for k in listed))
    store = write_store(str(tmp_path / 'store'), listed, some_boxes(2),
                        image_stats=image_stats(images, listed))
    ds = build_dataset(images, store, ann_file=str(lst))
    assert [ds.get_data_info(i)['key'] for i in range(2)] == listed
    assert ds.num_missing == 0
    assert ds.get_data_info(1)['proposals'].shape == (8, 4)
    assert ds[1]['data_samples'].img_path.endswith('my photo.jpg')
    assert np.isfinite(ds[1]['data_samples'].pair_boxes.numpy()).all()
