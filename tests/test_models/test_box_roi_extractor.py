"""BoxRoIExtractor: SoCo's level rule at its thresholds, both pool modes and
the per-level RoI sets of InsLoc, against a hand computation (RoIAlign of a
linear feature map is exact: each bin is the ramp at the bin's centre) and
against mmcv's RoIAlign called directly; a model's explicit extractor
config and its default build the same model."""
import inspect

import pytest
import torch
from mmcv.ops import RoIAlign

from mmsoco.models.roi_extractors import BoxRoIExtractor
from mmsoco.registry import MODELS

STRIDES = (4, 8, 16, 32)
VIEW = 256
# sqrt(wh) of each: 34.6, 48 (P2's bound), 48.5, 96 (P3's), 150, 192
# (P4's), 224; all inside the view, away from its border
BOXES = torch.tensor([[100, 100, 130, 140], [60, 60, 108, 108],
                      [60, 60, 108.5, 108.5], [20, 30, 116, 126],
                      [40, 40, 190, 190], [32, 32, 224, 224],
                      [16, 16, 240, 240]], dtype=torch.float32)
LEVELS = [0, 0, 1, 1, 2, 2, 3]


def ramp_feats(batch: int = 2):
    """Level l, image b: channel 0 = (l + 1) x + 100 l + 1000 b, channel 1
    = (l + 1) y (x, y: column and row index of the map)."""
    feats = []
    for lvl, s in enumerate(STRIDES):
        n = VIEW // s
        y, x = torch.meshgrid(torch.arange(n, dtype=torch.float32),
                              torch.arange(n, dtype=torch.float32),
                              indexing='ij')
        per_image = [torch.stack([(lvl + 1) * x + 100 * lvl + 1000 * b,
                                  (lvl + 1) * y]) for b in range(batch)]
        feats.append(torch.stack(per_image))
    return feats


def hand_pool(roi, lvl: int, size: int = 7) -> torch.Tensor:
    """RoIAlign (aligned: box / stride - 0.5) of the ramps, by hand."""
    b, x1, y1, x2, y2 = roi.tolist()
    s = STRIDES[lvl]
    sx, sy = x1 / s - 0.5, y1 / s - 0.5
    bw, bh = (x2 - x1) / s / size, (y2 - y1) / s / size
    cx = sx + (torch.arange(size) + 0.5) * bw
    cy = sy + (torch.arange(size) + 0.5) * bh
    ch0 = ((lvl + 1) * cx + 100 * lvl + 1000 * b).expand(size, size)
    ch1 = ((lvl + 1) * cy)[:, None].expand(size, size)
    return torch.stack([ch0, ch1])


def rois_of(boxes: torch.Tensor) -> torch.Tensor:
    index = (torch.arange(len(boxes)) % 2).float()[:, None]
    return torch.cat([index, boxes], dim=1)


def test_level_assignment_at_the_thresholds():
    ext = BoxRoIExtractor()
    assert ext.level_thresholds == (48., 96., 192.)
    assert ext.map_roi_levels(rois_of(BOXES)).tolist() == LEVELS
    # sqrt(w h), not the side: 24 x 96 -> 48 -> P2; 24 x 97 -> P3;
    # degenerate -> P2
    thin = torch.tensor([[0, 0, 24, 96], [0, 0, 24, 97], [3, 3, 3, 50.]])
    assert ext.map_roi_levels(rois_of(thin)).tolist() == [0, 1, 0]
    # own thresholds
    ext = BoxRoIExtractor(level_thresholds=(10, 20, 30))
    assert ext.map_roi_levels(rois_of(BOXES)).tolist() == [3] * 7


def test_the_level_rule_needs_one_bound_per_level_but_the_last():
    assert BoxRoIExtractor(strides=(16, )).level_thresholds == ()
    with pytest.raises(ValueError, match=r'4 levels .* need 3 level_thr'):
        BoxRoIExtractor(level_thresholds=(48, 96))
    # five levels have no default rule: explicit levels still pool
    five = BoxRoIExtractor(strides=(4, 8, 16, 32, 64))
    with pytest.raises(ValueError, match='no level rule: set level_thr'):
        five.map_roi_levels(rois_of(BOXES))


def test_assigned_level_pools_each_roi_on_its_level_by_hand():
    ext = BoxRoIExtractor()
    rois = rois_of(BOXES)
    pooled = ext(ramp_feats(), rois)
    assert pooled.shape == (7, 2, 7, 7) and pooled.dtype == torch.float32
    for n, lvl in enumerate(LEVELS):
        torch.testing.assert_close(pooled[n], hand_pool(rois[n], lvl),
                                   rtol=0, atol=1e-3)


def test_all_levels_pools_every_roi_on_every_level_by_hand():
    ext = BoxRoIExtractor()
    rois = rois_of(BOXES)
    pooled = ext(ramp_feats(), rois, mode='all_levels')
    assert pooled.shape == (4, 7, 2, 7, 7)
    for lvl in range(4):
        for n in range(len(rois)):
            torch.testing.assert_close(pooled[lvl, n],
                                       hand_pool(rois[n], lvl),
                                       rtol=0, atol=1e-3)
        # one explicit level
        assert torch.equal(ext.pool_level(ramp_feats(), rois, lvl),
                           pooled[lvl])
    # InsLoc: another RoI set on every level
    sets = [rois[lvl:lvl + 2] for lvl in range(4)]
    per_set = ext.pool_all_levels(ramp_feats(), sets)
    for lvl in range(4):
        assert torch.equal(per_set[lvl], pooled[lvl, lvl:lvl + 2])


@pytest.mark.parametrize('size,strides', [(7, STRIDES), (14, (16, ))])
def test_equals_mmcv_roi_align_called_directly(size, strides):
    gen = torch.Generator().manual_seed(0)
    feats = [torch.randn(2, 3, VIEW // s, VIEW // s, generator=gen)
             for s in strides]
    ext = BoxRoIExtractor(output_size=size, strides=strides)
    rois = rois_of(BOXES)
    levels = LEVELS if len(strides) == 4 else [0] * 7
    pooled = ext(feats, rois)
    for n, lvl in enumerate(levels):
        align = RoIAlign(size, 1. / strides[lvl], 0, aligned=True)
        assert torch.equal(pooled[n:n + 1],
                           align(feats[lvl], rois[n:n + 1])), n


def test_an_empty_level_stays_in_the_graph_with_zero_gradient():
    """Assigned mode: a level without RoIs gets a zero gradient, not None
    (DDP would wait for the gradient of its FPN conv)."""
    feats = [f.requires_grad_() for f in ramp_feats()]
    only_p2 = rois_of(BOXES[:2])
    BoxRoIExtractor()(feats, only_p2).sum().backward()
    assert feats[0].grad.abs().sum() > 0
    for f in feats[1:]:
        assert f.grad is not None and not f.grad.any()


def test_no_state_and_clear_errors():
    ext = BoxRoIExtractor()
    assert dict(ext.state_dict()) == {} and not list(ext.parameters())
    with pytest.raises(ValueError, match='3 feature levels given, the RoI '
                       'extractor has 4 strides'):
        ext(ramp_feats()[:3], rois_of(BOXES))
    with pytest.raises(ValueError, match="one of .*got 'every'"):
        ext(ramp_feats(), rois_of(BOXES), mode='every')
    with pytest.raises(ValueError, match='2 RoI sets for 4 levels'):
        ext.pool_all_levels(ramp_feats(), [rois_of(BOXES)] * 2)


def test_builds_from_the_registry():
    built = MODELS.build(dict(type='BoxRoIExtractor', output_size=14,
                              strides=(16, )))
    assert type(built) is BoxRoIExtractor
    assert built.num_levels == 1 and built.output_size == 14
    # the level rule stays importable with its signature
    from mmsoco.models.utils import assign_levels, box_scales
    assert list(inspect.signature(assign_levels).parameters) == [
        'boxes', 'thresholds']
    assert list(inspect.signature(box_scales).parameters) == ['boxes']


@pytest.mark.usefixtures('one_thread', 'quiet_init')
def test_explicit_extractor_builds_the_same_model_as_the_default():
    """``roi_extractor`` with SoCo's rule spelled out, and the model's
    default: same (empty) extractor state, same keys, same loss."""
    from tests.helpers import build_model
    from mmsoco.testing import random_soco_batch
    from tests.soco_tiny import tiny_soco_cfg
    explicit = tiny_soco_cfg(roi_extractor=dict(
        type='BoxRoIExtractor', output_size=7, strides=STRIDES,
        level_thresholds=(48, 96, 192)))
    models = [build_model(cfg) for cfg in (explicit, tiny_soco_cfg())]
    keys = [list(m.state_dict()) for m in models]
    assert keys[0] == keys[1]
    assert not any('roi_' in k for k in keys[0])
    batch = random_soco_batch(sizes=(224, 96, 64), k=6)
    losses = []
    for m in models:
        data = m.data_preprocessor(batch, True)
        losses.append(m(**data, mode='loss'))
        assert m.roi_extractor.level_thresholds == (48., 96., 192.)
    assert losses[0] == losses[1]
