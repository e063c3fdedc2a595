"""The pinned stack works end to end: a stock mmdet Mask R-CNN R50-FPN runs
loss and predict on the CPU with mmcv's compiled ops."""
import pytest
import torch


@pytest.fixture(scope='module')
def mask_rcnn():
    import mmsoco  # noqa: F401  (compat patches)
    from mmdet.utils import register_all_modules
    from mmengine.hub import get_config
    from mmengine.registry import MODELS, init_default_scope
    register_all_modules(init_default_scope=False)
    init_default_scope('mmdet')
    cfg = get_config('mmdet::mask_rcnn/mask-rcnn_r50_fpn_1x_coco.py')
    # the stock config starts from torchvision://resnet50, which needs
    # torchvision and the network: the architecture is what is checked here
    cfg.model.backbone.init_cfg = None
    torch.manual_seed(0)
    model = MODELS.build(cfg.model)
    model.init_weights()
    return model


def demo_batch(model):
    from mmdet.testing import demo_mm_inputs
    packed = demo_mm_inputs(batch_size=1, image_shapes=[(3, 192, 256)],
                            num_items=[3], with_mask=True)
    return model.data_preprocessor(packed, training=True)


def test_mask_rcnn_loss_on_cpu(mask_rcnn):
    mask_rcnn.train()
    batch = demo_batch(mask_rcnn)
    losses = mask_rcnn(**batch, mode='loss')
    for key in ('loss_rpn_cls', 'loss_cls', 'loss_bbox', 'loss_mask'):
        assert key in losses, key
    total = sum(v.sum() if isinstance(v, torch.Tensor) else sum(v)
                for v in losses.values())
    assert torch.isfinite(total)
    total.backward()
    grad = mask_rcnn.roi_head.mask_head.conv_logits.weight.grad
    assert grad is not None and grad.abs().sum() > 0


def test_mask_rcnn_predict_on_cpu(mask_rcnn):
    mask_rcnn.eval()
    batch = demo_batch(mask_rcnn)
    with torch.no_grad():
        results = mask_rcnn(**batch, mode='predict')
    assert len(results) == 1
    pred = results[0].pred_instances
    assert pred.bboxes.shape[1] == 4
    assert len(pred.scores) == len(pred.bboxes) == len(pred.masks)
