"""mmsoco.image_set decoding: the one decoder of proposals and training."""
import os
import threading

import cv2
import numpy as np
import pytest

from mmsoco.image_set import BadImage, load_rgb
from mmsoco.registry import TRANSFORMS


def test_rgb_order_and_shape(tmp_path):
    bgr = np.zeros((6, 9, 3), np.uint8)
    bgr[..., 2] = 200  # red in OpenCV's BGR
    cv2.imwrite(str(tmp_path / 'r.png'), bgr)
    rgb = load_rgb(str(tmp_path / 'r.png'))
    assert rgb.shape == (6, 9, 3) and rgb.dtype == np.uint8
    assert (rgb[..., 0] == 200).all() and (rgb[..., 2] == 0).all()


def test_sixteen_bit_and_alpha(tmp_path):
    img16 = np.full((4, 4, 3), 65535, np.uint16)
    cv2.imwrite(str(tmp_path / 'a.png'), img16)
    assert (load_rgb(str(tmp_path / 'a.png')) == 255).all()
    rgba = np.zeros((4, 4, 4), np.uint8)
    rgba[..., 1] = 50
    cv2.imwrite(str(tmp_path / 'b.png'), rgba)
    out = load_rgb(str(tmp_path / 'b.png'))
    assert out.shape == (4, 4, 3) and (out[..., 1] == 50).all()


def test_fifo_is_refused_without_blocking(tmp_path):
    os.mkfifo(tmp_path / 'x.jpg')
    result = {}

    def read():
        try:
            load_rgb(str(tmp_path / 'x.jpg'))
        except BadImage as e:
            result['err'] = str(e)
    t = threading.Thread(target=read, daemon=True)
    t.start()
    t.join(10)
    assert not t.is_alive(), 'load_rgb blocked on a FIFO'
    assert 'not a regular file' in result['err']


def test_bad_files_name_the_reason(tmp_path):
    (tmp_path / 'e.jpg').write_bytes(b'')
    (tmp_path / 'r.jpg').write_bytes(os.urandom(500))
    with pytest.raises(BadImage, match='empty file'):
        load_rgb(str(tmp_path / 'e.jpg'))
    with pytest.raises(BadImage, match='not a decodable image'):
        load_rgb(str(tmp_path / 'r.jpg'))
    with pytest.raises(BadImage, match='cannot read file'):
        load_rgb(str(tmp_path / 'missing.jpg'))


def test_loading_transform_uses_the_same_decoder(tmp_path):
    img16 = (np.arange(48, dtype=np.uint16).reshape(4, 4, 3) * 1000)
    cv2.imwrite(str(tmp_path / 'a.png'), img16)
    load = TRANSFORMS.build(dict(type='LoadImageRGB'))
    out = load(dict(img_path=str(tmp_path / 'a.png')))
    np.testing.assert_array_equal(out['img'],
                                  load_rgb(str(tmp_path / 'a.png')))
    (tmp_path / 'bad.jpg').write_bytes(b'junk')
    with pytest.raises(OSError, match='bad.jpg'):
        load(dict(img_path=str(tmp_path / 'bad.jpg')))
