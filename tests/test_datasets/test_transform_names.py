"""Honest names: the colour transform is ViewColorAug (BYOL's numbers by
default, MoCo v2's in InsLoc's configs); the generic view/box flip lives in
view_box_random_flip.py."""
import os.path as osp

import numpy as np
from mmengine.config import Config

from mmsoco.datasets.transforms import ViewBoxRandomFlip, ViewColorAug
from mmsoco.registry import TRANSFORMS

from ..helpers import REPO


def test_color_transform_builds_by_name_with_a_seeded_output():
    built = TRANSFORMS.build(dict(type='ViewColorAug'))
    direct = ViewColorAug()
    assert type(built) is ViewColorAug
    img = np.random.default_rng(0).integers(0, 256, (32, 32, 3), np.uint8)
    outs = []
    for t in (built, direct):
        res = t(dict(views=[img.copy(), img.copy()], view_seed=(1, 2, 3)))
        outs.append(res['views'])
    for a, b in zip(*outs):
        assert np.array_equal(a, b)
    assert not np.array_equal(outs[0][0], img)  # it did colour the view


def test_insloc_config_names_moco_v2_numbers_under_the_generic_name():
    cfg = Config.fromfile(osp.join(REPO, 'configs', '_base_', 'datasets',
                                   'insloc_imagenet.py'))
    color = [t for t in cfg.train_dataloader.dataset.pipeline
              if t.type == 'ViewColorAug']
    assert len(color) == 1
    t = TRANSFORMS.build(color[0])
    assert t.jitter == (0.4, 0.4, 0.4, 0.1) and t.blur_prob == 0.5
    assert t.solarize_prob == 0.0


def test_flip_module_name():
    from mmsoco.datasets.transforms.view_box_random_flip import \
        ViewBoxRandomFlip as flip
    assert flip is ViewBoxRandomFlip
    assert type(TRANSFORMS.build(dict(type='ViewBoxRandomFlip'))) is flip


def test_color_draws_come_from_the_stream_of_its_name():
    """A sample's colour under its view seed is drawn from the stream that
    the transform's registered name selects, like every seeded transform."""
    import zlib
    t = ViewColorAug()
    assert t.rng_stream == zlib.crc32(b'ViewColorAug')
    img = np.random.default_rng(1).integers(0, 256, (32, 32, 3), np.uint8)
    seed = (7, 0, 4)
    got = t(dict(views=[img.copy()], view_seed=seed))['views'][0]
    from mmsoco.datasets.transforms import functional as F
    rng = np.random.default_rng(np.random.SeedSequence(
        [*seed, zlib.crc32(b'ViewColorAug')]))
    want = F.byol_color(img.copy(), rng, t.jitter, t.jitter_prob,
                        t.gray_prob, t.blur_prob[0], t.blur_sigma,
                        t.solarize_prob[0])
    assert np.array_equal(got, want)
