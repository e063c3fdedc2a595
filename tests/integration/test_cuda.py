"""The CUDA path: mmcv's CUDA RoIAlign / NMS against the CPU kernels, SoCo
(FPN, C4) and InsLoc (FPN, C4) losses on the GPU equal to the CPU ones for
the same weights and inputs, an fp16 AMP training step, and a stock mmdet
Mask R-CNN initialised from an mmsoco export training on the GPU.

Skipped without CUDA (CI has none); run on a GPU machine with
``python -m pytest -q tests/integration/test_cuda.py``."""
import copy

import pytest
import torch

pytestmark = pytest.mark.skipif(not torch.cuda.is_available(),
                                reason='needs a CUDA device')

# float32 CPU and GPU kernels sum in different orders
TOL = dict(rtol=1e-3, atol=1e-4)


@pytest.fixture(autouse=True)
def scope():
    import mmsoco  # noqa: F401
    from mmengine.registry import init_default_scope
    init_default_scope('mmsoco')


def build(cfg: dict, seed: int = 0):
    from mmsoco.registry import MODELS
    torch.manual_seed(seed)
    model = MODELS.build(copy.deepcopy(cfg))
    model.init_weights()
    return model


def loss_on(model, batch, device: str) -> dict:
    model = model.to(device)
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    return model(**data, mode='loss')


def total(losses: dict) -> torch.Tensor:
    return sum(v for k, v in losses.items() if k.startswith('loss'))


def test_mmcv_ops_cuda_match_cpu():
    from mmcv.ops import RoIAlign, nms
    gen = torch.Generator().manual_seed(0)
    feat = torch.rand(2, 8, 32, 32, generator=gen)
    xy = torch.rand(20, 2, generator=gen) * 100
    rois = torch.cat([torch.randint(0, 2, (20, 1), generator=gen).float(),
                      xy, xy + 8 + torch.rand(20, 2, generator=gen) * 100],
                     dim=1)
    align = RoIAlign((7, 7), spatial_scale=0.25, sampling_ratio=0,
                     aligned=True)
    cpu = align(feat, rois)
    gpu = align(feat.cuda(), rois.cuda())
    torch.testing.assert_close(gpu.cpu(), cpu, **TOL)
    scores = torch.rand(20, generator=gen)
    keep_cpu = nms(rois[:, 1:], scores, 0.5)[1]
    keep_gpu = nms(rois[:, 1:].cuda(), scores.cuda(), 0.5)[1]
    assert torch.equal(keep_gpu.cpu(), keep_cpu)


@pytest.mark.parametrize('pool_mode', ['all_levels', 'assigned_level'])
def test_soco_fpn_loss_cuda_equals_cpu(pool_mode):
    from mmsoco.testing import random_soco_batch
    from tests.soco_tiny import tiny_soco_cfg
    batch = random_soco_batch(batch=2, sizes=(224, 224, 112), k=4)
    model = build(tiny_soco_cfg(pool_mode=pool_mode))
    model.update_target(3, 10)
    cpu = loss_on(copy.deepcopy(model), batch, 'cpu')
    gpu = loss_on(model, batch, 'cuda')
    assert set(cpu) == set(gpu)
    for key in cpu:
        torch.testing.assert_close(gpu[key].cpu(), cpu[key], **TOL)
    total(gpu).backward()
    grad = model.bbox_head.shared_fcs[0].weight.grad
    assert grad.is_cuda and grad.abs().sum() > 0


def test_soco_c4_loss_cuda_equals_cpu():
    from mmsoco.testing import random_soco_batch
    from tests.soco_tiny import TINY_SOCO_C4
    batch = random_soco_batch(batch=2, sizes=(96, 96), k=4)
    model = build(dict(
        TINY_SOCO_C4,
        data_preprocessor=dict(type='MultiViewDataPreprocessor')))
    model.update_target(0, 10)
    cpu = loss_on(copy.deepcopy(model), batch, 'cpu')
    gpu = loss_on(model, batch, 'cuda')
    for key in cpu:
        torch.testing.assert_close(gpu[key].cpu(), cpu[key], **TOL)


@pytest.mark.parametrize('c4', [False, True])
def test_insloc_loss_and_queue_on_cuda(c4):
    from tests.insloc_tiny import random_insloc_batch, tiny_insloc_cfg
    model = build(tiny_insloc_cfg(c4=c4)).cuda()
    batch = random_insloc_batch(batch=4, size=64)
    data = model.data_preprocessor(copy.deepcopy(batch), True)
    losses = model(**data, mode='loss')
    loss = total(losses)
    assert loss.is_cuda and torch.isfinite(loss)
    loss.backward()
    buffers = dict(model.named_buffers())
    queues = [b for n, b in buffers.items() if 'queue' in n
              and b.is_floating_point()]
    assert queues and all(q.is_cuda for q in queues)


def test_anchor_box_aug_on_cuda():
    from mmsoco.models.utils.anchor_box_aug import augment_boxes, box_iou
    boxes = torch.tensor([[40., 40., 200., 180.], [20., 30., 120., 120.]])
    gen = torch.Generator().manual_seed(0)
    out = augment_boxes(boxes.cuda(), (256, 256), generator=gen)
    assert out.is_cuda and out.shape == boxes.shape
    iou = box_iou(out.cpu(), boxes).diagonal()
    assert (iou >= 0.5).all(), iou


def test_soco_amp_fp16_train_step():
    from mmengine.optim import AmpOptimWrapper
    from mmsoco.testing import random_soco_batch
    from tests.soco_tiny import tiny_soco_cfg
    model = build(tiny_soco_cfg()).cuda()
    optim = AmpOptimWrapper(
        optimizer=torch.optim.SGD(model.parameters(), lr=0.1, momentum=0.9),
        loss_scale='dynamic')
    before = model.bbox_head.shared_fcs[0].weight.detach().clone()
    batch = random_soco_batch(batch=2, sizes=(224, 224, 112), k=4)
    for it in range(3):
        model.update_target(it, 3)
        log = model.train_step(copy.deepcopy(batch), optim)
    assert torch.isfinite(log['loss'])
    after = model.bbox_head.shared_fcs[0].weight.detach()
    assert not torch.equal(before, after)
    # the EMA target followed on the GPU
    target = dict(model.target.named_parameters())
    assert all(p.is_cuda for p in target.values())


def test_mask_rcnn_from_export_trains_on_cuda(tmp_path):
    from mmengine.config import Config
    from mmengine.registry import MODELS as ROOT_MODELS
    from mmengine.registry import init_default_scope
    from mmdet.testing import demo_mm_inputs
    from mmdet.utils import register_all_modules
    from mmsoco.transfer import export_checkpoint, save_export
    from tests.soco_tiny import tiny_soco_cfg
    from tests.helpers import FPN_CFG, TINY_DET, save_pretrain_ckpt
    online = save_pretrain_ckpt(tiny_soco_cfg(), tmp_path / 'soco.pth')
    save_export(export_checkpoint(str(tmp_path / 'soco.pth')),
                str(tmp_path / 'mmdet.pth'))
    register_all_modules(init_default_scope=False)
    init_default_scope('mmdet')
    cfg = Config.fromfile(FPN_CFG)
    cfg.merge_from_dict(dict(model=TINY_DET))
    cfg.model.init_cfg.checkpoint = str(tmp_path / 'mmdet.pth')
    cfg.model.backbone.norm_cfg = cfg.model.neck.norm_cfg = dict(type='BN')
    cfg.model.roi_head.bbox_head.norm_cfg = dict(type='BN')
    cfg.model.roi_head.mask_head.norm_cfg = dict(type='BN')
    model = ROOT_MODELS.build(cfg.model)
    model.init_weights()
    torch.testing.assert_close(model.backbone.conv1.weight,
                               online.backbone.conv1.weight)
    model = model.cuda().train()
    packed = demo_mm_inputs(batch_size=2, image_shapes=[(3, 192, 256)] * 2,
                            num_items=[3, 2], with_mask=True)
    data = model.data_preprocessor(packed, training=True)
    losses = model(**data, mode='loss')
    loss = sum(v.sum() if isinstance(v, torch.Tensor) else sum(v)
               for v in losses.values())
    assert loss.is_cuda and torch.isfinite(loss)
    loss.backward()
    model.eval()
    with torch.no_grad():
        results = model(**model.data_preprocessor(packed, False),
                        mode='predict')
    assert len(results) == 2
