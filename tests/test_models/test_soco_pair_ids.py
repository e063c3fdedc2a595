"""Per-side proposal ids (pair_ids (P, 2, K)): the sides of a pair may be
padded independently, and the model matches rows by id, as the reference's
correspondence matrix does."""
import numpy as np
import torch

from mmsoco.datasets.transforms import functional as F
from mmsoco.models.algorithms.base_soco import BaseSoCo
from mmsoco.structures import SoCoDataSample


def sample(ids) -> SoCoDataSample:
    s = SoCoDataSample()
    s.pair_ids = torch.as_tensor(np.asarray(ids), dtype=torch.int64)
    return s


def test_correspondence_matches_rows_by_id_per_side():
    # pair 1: two shared proposals (3, 5), sides padded independently
    a, b = [3, 5, 3, 3], [3, 5, 5, 3]
    ids = [[a, b], [[8, 9, 1, 2], [8, 9, 1, 2]]]
    corr = BaseSoCo._correspondence([sample(ids)], torch.zeros(1))
    assert corr.shape == (1, 2, 4, 4)
    expected = (np.array(a)[:, None] == np.array(b)[None, :]).astype(float)
    np.testing.assert_array_equal(corr[0, 0].numpy(), expected)
    np.testing.assert_array_equal(corr[0, 1].numpy(), np.eye(4))
    # every view-1 row has a partner, though row 2 holds different proposals
    assert (corr[0, 0].sum(1) > 0).all() and corr[0, 0, 2, 2] == 0
    # (P, K) ids still mean the same ids on both sides
    same = BaseSoCo._correspondence([sample([a, b])], torch.zeros(1))
    np.testing.assert_array_equal(
        same[0, 0].numpy(),
        (np.array(a)[:, None] == np.array(a)[None, :]).astype(float))


def test_views_with_few_proposals_pad_the_sides_independently():
    """Two proposals, K = 4: the real rows agree, the padding rows differ
    between the sides in about 3 samples out of 4 (two draws over two
    proposals); padding='shared' keeps the sides identical."""
    img = np.zeros((200, 300, 3), np.uint8)
    props = np.array([[100, 60, 200, 140], [120, 80, 180, 120]], np.float32)
    views = [dict(size=64, mode='whole'),
             dict(size=64, mode='crop', scale=(0.9, 1.))]
    rng = np.random.default_rng(0)
    differ = 0
    for _ in range(200):
        out = F.soco_views(img, props, rng, views)
        ids = out['pair_ids'][0]
        np.testing.assert_array_equal(np.sort(ids[0, :2]), [0, 1])
        np.testing.assert_array_equal(ids[0, :2], ids[1, :2])
        assert set(ids.ravel()) == {0, 1}
        differ += not np.array_equal(ids[0], ids[1])
        shared = F.soco_views(img, props, rng, views, padding='shared')
        np.testing.assert_array_equal(shared['pair_ids'][0, 0],
                                      shared['pair_ids'][0, 1])
    assert 120 < differ < 180, differ
