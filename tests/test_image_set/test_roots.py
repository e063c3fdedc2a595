"""Image entries stay inside their image root: relative entries without
'..', absolute ones inside the root; links inside the root are followed."""
import os

import pytest

from mmsoco.image_set import (ImageSetError, OutsideRootError, key_in_root,
                              path_in_root)


@pytest.mark.parametrize('entry, key', [
    ('a.jpg', 'a.jpg'), ('./sub/b.jpg', 'sub/b.jpg'),
    ('sub//c.png', 'sub/c.png'), ('ünï code/ça.jpg', 'ünï code/ça.jpg'),
])
def test_entries_inside_the_root(tmp_path, entry, key):
    assert key_in_root(entry, str(tmp_path)) == key
    assert path_in_root(entry, str(tmp_path)) == os.path.join(
        str(tmp_path), key)


@pytest.mark.parametrize('entry, why', [
    ('../x.jpg', 'outside the image root'),
    ('../../etc/passwd', 'outside the image root'),
    ('sub/../../x.jpg', 'outside the image root'),
    ('sub/../a.jpg', 'outside the image root'),  # '..' after a possible link
    ('/etc/passwd', 'outside the image root'),
    ('', 'not a file path'), ('.', 'names the image root itself'),
    ('a\0.jpg', 'not a file path'),
])
def test_entries_outside_the_root_are_refused(tmp_path, entry, why):
    with pytest.raises(OutsideRootError, match=why) as e:
        key_in_root(entry, str(tmp_path / 'images'), 'ann.json')
    line = str(e.value)
    assert '\n' not in line and line.startswith(
        f'ann.json: image entry {entry!r}')
    assert isinstance(e.value, ImageSetError)


def test_absolute_entries_inside_the_root_and_links(tmp_path):
    root = tmp_path / 'images'
    (root / 'sub').mkdir(parents=True)
    outside = tmp_path / 'elsewhere'
    outside.mkdir()
    assert key_in_root(str(root / 'sub' / 'a.jpg'), str(root)) == 'sub/a.jpg'
    # the root given through a link: absolute entries under its target too
    link_root = tmp_path / 'link_to_images'
    os.symlink(root, link_root)
    assert key_in_root(str(root / 'b.jpg'), str(link_root)) == 'b.jpg'
    # a link inside the root pointing outside is the user's own choice:
    # followed (documented in mmsoco/image_set/roots.py)
    os.symlink(outside, root / 'more')
    assert path_in_root('more/c.jpg', str(root)) == str(root / 'more' /
                                                        'c.jpg')
    # but an absolute path to the link's target is outside
    with pytest.raises(OutsideRootError):
        key_in_root(str(outside / 'c.jpg'), str(root))
