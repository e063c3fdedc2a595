"""mmsoco.image_set listing: folders, links, list files, odd names."""
import os
import os.path as osp

import cv2
import numpy as np
import pytest

from mmsoco.image_set import ImageSetError, list_images, resolve_root


def _jpg(path):
    os.makedirs(osp.dirname(path), exist_ok=True)
    cv2.imwrite(str(path), np.full((8, 8, 3), 100, np.uint8))


@pytest.fixture
def folder(tmp_path):
    root = tmp_path / 'imgs'
    for rel in ('a.jpg', 'sub/b.png', 'sub/deeper/c.JPEG', 'with space.jpg'):
        _jpg(root / rel)
    (root / 'notes.txt').write_text('not an image')
    return root


def test_folder_is_listed_recursively_sorted_and_slash_joined(folder):
    listing = list_images(str(folder))
    assert listing.scanned and listing.root == str(folder)
    assert listing.keys == ['a.jpg', 'sub/b.png', 'sub/deeper/c.JPEG',
                            'with space.jpg']
    assert listing.skipped == []
    assert resolve_root(str(folder)) == (str(folder), True)


def test_symlink_to_parent_does_not_multiply_the_set(folder):
    os.symlink('..', folder / 'sub' / 'up')  # loop: sub/up -> imgs
    os.symlink(str(folder / 'sub'), folder / 'again')  # a second way in
    listing = list_images(str(folder))
    assert len(listing.keys) == 4
    assert {k for k, _ in listing.skipped} == {'again', 'sub/up'}
    assert all('already listed' in r for _, r in listing.skipped)


def test_link_to_a_folder_outside_is_followed(folder, tmp_path):
    _jpg(tmp_path / 'elsewhere' / 'x.jpg')
    os.symlink(str(tmp_path / 'elsewhere'), folder / 'linked')
    assert 'linked/x.jpg' in list_images(str(folder)).keys


def test_fifo_and_undecodable_name_are_skipped_with_a_reason(folder):
    os.mkfifo(folder / 'pipe.jpg')
    bad_name = os.fsencode(str(folder)) + b'/caf\xe9.jpg'  # Latin-1 bytes
    with open(bad_name, 'wb') as f:
        f.write(b'x')
    listing = list_images(str(folder))
    assert len(listing.keys) == 4
    reasons = dict(listing.skipped)
    assert 'not a regular file' in reasons['pipe.jpg']
    assert any('not valid UTF-8' in r for r in reasons.values())
    for key in listing.keys:
        key.encode('utf-8')


def test_list_file_whole_line_is_the_path(folder):
    lst = folder / 'list.txt'
    lst.write_text('# comment\nwith space.jpg\n\nsub/b.png 7\n'
                   f'{folder}/a.jpg\n')
    listing = list_images(str(lst))
    assert not listing.scanned and listing.root == str(folder)
    # 'sub/b.png 7' names no file: an ImageNet 'path label' line
    assert listing.keys == ['with space.jpg', 'sub/b.png', 'a.jpg']


def test_list_file_with_image_root(folder, tmp_path):
    lst = tmp_path / 'l.txt'
    lst.write_text('sub/b.png\n')
    assert list_images(str(lst), str(folder)).keys == ['sub/b.png']
    lst.write_text('../outside.jpg\n')
    with pytest.raises(ImageSetError, match='outside the image root'):
        list_images(str(lst), str(folder))


@pytest.mark.parametrize('name,text', [('ann.json', '{"images": []}'),
                                       ('ann.txt', '  [1, 2]')])
def test_json_is_refused_in_one_line(tmp_path, name, text):
    (tmp_path / name).write_text(text)
    with pytest.raises(ImageSetError, match='is a JSON file.*train2017'):
        list_images(str(tmp_path / name))


def test_missing_source(tmp_path):
    with pytest.raises(ImageSetError, match='neither an image folder nor a '
                       'list file'):
        list_images(str(tmp_path / 'nope'))
