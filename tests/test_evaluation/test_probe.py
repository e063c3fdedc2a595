"""The box k-NN probe: the k-NN against a hand computation, the
network rebuilt from exports, tools/probe.py on a tiny checkpoint and its
one-line errors, the probe as a val_evaluator in a Runner run, the loss
curve, and the demo configs' LR rule."""
import json
import math
import os
import os.path as osp

import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner

import mmsoco  # noqa: F401
from mmsoco.evaluation import (BoxProbeDataset, ProbeNet,
                               classification_accuracy, knn_class_scores,
                               knn_evaluate, load_probe_net,
                               mean_pairwise_cosine)

from ..helpers import REPO, build_model
from ..insloc_tiny import tiny_insloc_cfg
from ..soco_tiny import PackedSoCoToyDataset, tiny_soco_cfg

pytestmark = pytest.mark.usefixtures('one_thread', 'quiet_init')


# ------------------------------------------------------------------ k-NN
def test_knn_scores_by_hand():
    """Query (1, 0); bank at angles 0, 60, 90, 180 degrees: cosines 1, 0.5,
    0, -1. k=3, T=0.5: neighbours 0 (class 0, weight e^2), 1 and 2 (class
    1, e^1 + e^0): class 0 wins, 7.39 to 3.72."""
    bank = torch.tensor([[2., 0.], [0.5, math.sqrt(3) / 2], [0., 3.],
                         [-1., 0.]])
    labels = torch.tensor([0, 1, 1, 2])
    query = torch.tensor([[1., 0.], [0., 1.]])
    scores = knn_class_scores(bank, labels, query, 3, k=3, temperature=0.5)
    e = math.e
    # query 2 (0, 1): cosines 0, sqrt(3)/2, 1, 0 -> neighbours 2, 1 and
    # one of the two zeros (ties: topk keeps either); both zero-cosine
    # vectors weigh e^0 = 1
    assert scores[0].tolist() == pytest.approx([e**2, e**1 + e**0, 0.])
    assert scores[1, 1].item() == pytest.approx(e**2 + e**math.sqrt(3))
    assert scores[1].sum().item() == pytest.approx(
        e**2 + e**math.sqrt(3) + 1)
    assert scores.argmax(1).tolist() == [0, 1]


def test_knn_leave_one_out_and_accuracies():
    """Two tight clusters: leave-one-out never lets a vector vote for
    itself, so the lone class-2 vector (in cluster A) is misclassified."""
    feats = torch.tensor([[1., 0.], [1., .1], [1., -.1], [1., .05],
                          [0., 1.], [.1, 1.], [-.1, 1.]])
    labels = torch.tensor([0, 0, 0, 2, 1, 1, 1])
    scores = knn_class_scores(feats, labels, feats, 3, k=3, temperature=1.,
                              leave_one_out=True)
    pred = scores.argmax(1)
    assert pred.tolist() == [0, 0, 0, 0, 1, 1, 1]
    acc = classification_accuracy(pred, labels, min_per_class=3)
    assert acc['top1'] == pytest.approx(6 / 7)
    # class 2 has 1 query box (< 3): only classes 0 and 1 enter the mean
    assert acc['mean_acc'] == 1.0 and acc['num_classes'] == 2
    out = knn_evaluate(feats, labels, feats, labels, k=3, temperature=1.,
                       leave_one_out=True, min_per_class=1)
    assert out['mean_acc'] == pytest.approx((1 + 1 + 0) / 3)


def test_mean_pairwise_cosine():
    assert mean_pairwise_cosine(torch.eye(3)) == pytest.approx(0.)
    assert mean_pairwise_cosine(torch.ones(4, 5) * 3) == pytest.approx(1.)
    two = torch.tensor([[1., 0.], [1., 1.]])
    assert mean_pairwise_cosine(two) == pytest.approx(1 / math.sqrt(2))


# ------------------------------------------------------------ probe set
def write_subset(coco_tiny, tmp, split, n, name=None):
    """The first n images of a coco_tiny split (and their boxes)."""
    with open(osp.join(coco_tiny, 'annotations',
                       f'instances_{split}2017.json')) as f:
        coco = json.load(f)
    images = coco['images'][:n]
    ids = {im['id'] for im in images}
    coco.update(images=images, annotations=[
        a for a in coco['annotations'] if a['image_id'] in ids])
    path = osp.join(tmp, name or f'{split}.json')
    with open(path, 'w') as f:
        json.dump(coco, f)
    return path, osp.join(coco_tiny, f'{split}2017')


@pytest.fixture
def probe_set(coco_tiny, tmp_path):
    q_ann, q_img = write_subset(coco_tiny, tmp_path, 'val', 4)
    b_ann, b_img = write_subset(coco_tiny, tmp_path, 'train', 4)
    return dict(ann_file=q_ann, img_dir=q_img, bank_ann_file=b_ann,
                bank_img_dir=b_img)


def test_dataset_boxes_and_missing_images(probe_set, tmp_path):
    ds = BoxProbeDataset(**probe_set, scale=(200, 120))
    splits = [ds.get_data_info(i)['split'] for i in range(len(ds))]
    assert splits.count('bank') == 4 and splits.count('query') == 4
    item = ds[0]
    assert max(item['inputs'].shape[1:]) <= 200
    assert len(item['data_samples'].gt_instances.labels) > 0
    # the same file names in a folder without the images: one line
    from mmsoco.datasets.errors import DatasetConfigError
    with pytest.raises(DatasetConfigError) as err:
        BoxProbeDataset(probe_set['ann_file'], str(tmp_path))
    msg = str(err.value)
    assert '\n' not in msg and probe_set['ann_file'] in msg
    assert '4 of its 4 labelled images are not in' in msg


# ------------------------------------------------------------ networks
def save_checkpoint(model, path, cfg=None):
    torch.save(dict(state_dict=model.state_dict(),
                    meta=dict(cfg=Config(dict(model=cfg)).pretty_text
                              if cfg else None)), path)


def perturb_(model):
    gen = torch.Generator().manual_seed(1)
    with torch.no_grad():
        for t in model.state_dict().values():
            if t.is_floating_point():
                t.add_(torch.rand(t.shape, generator=gen) * 0.1)


@pytest.mark.parametrize('kind', ['soco', 'insloc_c4'])
def test_export_rebuilds_the_online_network(kind, tmp_path):
    """A checkpoint and its export give the probe the same features as the
    model's own modules (tiny SoCo FPN, InsLoc C4)."""
    from mmsoco.transfer import export_checkpoint, save_export
    cfg = tiny_soco_cfg() if kind == 'soco' else tiny_insloc_cfg(c4=True)
    model = build_model(cfg)
    perturb_(model)  # BN statistics too: eval-mode BN must use them
    ckpt = str(tmp_path / 'iter_1.pth')
    save_checkpoint(model, ckpt, cfg)
    out = str(tmp_path / 'mmdet.pth')
    save_export(export_checkpoint(ckpt), out)
    img = torch.randint(0, 256, (3, 70, 90), dtype=torch.uint8)
    boxes = torch.tensor([[0., 0., 90., 70.], [10., 5., 30., 40.],
                          [40., 20., 85., 66.]])
    want = ProbeNet.from_model(model)(img, boxes)
    assert set(want) == ({'head'} if kind != 'soco' else {'head', 'c5'})
    assert model.training  # the probe restored the model's mode
    for path in (ckpt, out):
        got = load_probe_net(path)(img, boxes)
        for name in want:
            torch.testing.assert_close(got[name], want[name])
    assert want['head'].shape[0] == 3


def test_stage_features_pool_each_part_of_the_network(tmp_path):
    """--stages: the FPN's pooled box features (the head's input) and
    C4-C2, each the box's average on that map; head and c5 unchanged, the
    same from the checkpoint and its export; a C4 model refuses it."""
    from mmsoco.models.utils import boxes_to_rois
    from mmsoco.transfer import export_checkpoint, save_export
    model = build_model(tiny_soco_cfg())
    perturb_(model)
    ckpt = str(tmp_path / 'iter_1.pth')
    save_checkpoint(model, ckpt, tiny_soco_cfg())
    out = str(tmp_path / 'mmdet.pth')
    save_export(export_checkpoint(ckpt), out)
    img = torch.randint(0, 256, (3, 64, 96), dtype=torch.uint8)
    boxes = torch.tensor([[0., 0., 96., 64.], [8., 8., 40., 56.]])
    plain = ProbeNet.from_model(model)(img, boxes)
    net = ProbeNet.from_model(model)
    net.stages = True
    assert net.feature_names == ['head', 'c5', 'fpn', 'c4', 'c3', 'c2']
    got = net(img, boxes)
    assert list(got) == net.feature_names
    for name in plain:
        torch.testing.assert_close(got[name], plain[name])
    # each stage's map at its own stride; fpn is the head's input
    from mmsoco.evaluation.probe_net import eval_mode
    from mmsoco.models.roi_extractors import BoxRoIExtractor
    rois = boxes_to_rois(boxes[None])
    x = (img[None].float() - net.mean) / net.std
    with eval_mode(model):
        c = model.backbone(x)
        for i, name in enumerate(('c2', 'c3', 'c4', 'c5')):
            pool = BoxRoIExtractor(output_size=7, strides=(4 * 2**i, ))
            assert got[name].shape == (2, c[i].shape[1])
            torch.testing.assert_close(
                got[name], pool([c[i]], rois).mean((2, 3)))
        fpn = model.neck(c)[:model.roi_extractor.num_levels]
        pooled = model.roi_extractor(fpn, rois)
        head = model.bbox_head(pooled)
    torch.testing.assert_close(got['fpn'], pooled.mean((2, 3)))
    torch.testing.assert_close(got['head'], head)
    for path in (ckpt, out):
        again = load_probe_net(path, stages=True)(img, boxes)
        assert list(again) == net.feature_names
        for name in got:
            torch.testing.assert_close(again[name], got[name])
    c4 = str(tmp_path / 'c4.pth')
    save_checkpoint(build_model(tiny_insloc_cfg(c4=True)), c4)
    from mmsoco.evaluation import ProbeInputError
    with pytest.raises(ProbeInputError, match='--stages needs an FPN'):
        load_probe_net(c4, stages=True)


# ------------------------------------------------------------ CLI
def run_cli(argv, capsys):
    from tools.probe import main
    rc = main(argv)
    out, err = capsys.readouterr()
    return rc, out.strip().splitlines(), err.strip().splitlines()


def test_cli_on_a_tiny_checkpoint(probe_set, tmp_path, capsys):
    model = build_model(tiny_soco_cfg())
    ckpt = str(tmp_path / 'tiny.pth')
    save_checkpoint(model, ckpt, tiny_soco_cfg())
    ps = probe_set
    argv = [ckpt, '--ann', ps['ann_file'], '--images', ps['img_dir'],
            '--bank-ann', ps['bank_ann_file'], '--bank-images',
            ps['bank_img_dir'], '--scale', '200', '120', '--json']
    rc, out, err = run_cli(argv, capsys)
    assert rc == 0, err
    metrics = json.loads(out[-2])
    assert metrics['num_bank'] > 0 and metrics['num_query'] > 0
    for key in ('head_top1', 'c5_top1', 'majority_top1'):
        assert 0 <= metrics[key] <= 1
    last = out[-1]
    assert last.startswith('probe tiny.pth: head top1 ')
    assert f'{metrics["head_top1"]:.3f}' in last and 'bank boxes' in last
    assert ' fpn ' not in last
    # --stages: every part's feature, head first, in the summary line
    rc, out, err = run_cli(argv + ['--stages'], capsys)
    assert rc == 0, err
    staged = json.loads(out[-2])
    assert staged['head_top1'] == metrics['head_top1']
    assert [p.split(' top1')[0] for p in out[-1].split(': ', 1)[1]
            .split(' | ')[:6]] == ['head', 'c5', 'fpn', 'c4', 'c3', 'c2']
    # few-label mode writes every part's rows and mean cosine
    draws = str(tmp_path / 'draws.json')
    rc, out, err = run_cli(argv + ['--stages', '--shots', '1', '0',
                                   '--draws', '2', '--out', draws], capsys)
    assert rc == 0, err
    written = json.loads(open(draws).read())
    parts = ['head', 'c5', 'fpn', 'c4', 'c3', 'c2']
    assert list(written['mean_cos']) == parts
    assert {(r['feature'], r['classifier'], r['shots'])
            for r in written['rows']} == {
        (f, c, n) for f in parts for c in ('knn', 'logreg') for n in (1, 0)}
    # leave-one-out without a bank, random init from a config
    cfg = str(tmp_path / 'tiny_cfg.py')
    Config(dict(model=tiny_soco_cfg())).dump(cfg)
    rc, out, err = run_cli([cfg, '--random', '--ann', ps['ann_file'],
                            '--images', ps['img_dir'], '--scale', '200',
                            '120'], capsys)
    assert rc == 0, err
    assert out[-1].endswith('leave-one-out') and 'random' in out[-1]


def test_probe_reports_progress(probe_set, capsys):
    """A progress line with counts and ETA while the probe runs (here one
    per image: every=0)."""
    from mmsoco.evaluation import run_probe
    net = ProbeNet.from_model(build_model(tiny_soco_cfg()))
    dataset = BoxProbeDataset(probe_set['ann_file'], probe_set['img_dir'],
                              scale=(200, 120))
    run_probe(net, dataset, k=3, progress_every=0)
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == len(dataset) == 4
    assert lines[0].startswith('probe: 1/4 images (25%), ')
    assert lines[-1].startswith('probe: 4/4 images (100%), ')
    assert all(' ETA ' in line for line in lines)


def test_cli_one_line_errors(probe_set, tmp_path, capsys):
    ps = probe_set
    bad = str(tmp_path / 'detector.pth')
    torch.save(dict(state_dict={'roi_head.x.weight': torch.zeros(1)}), bad)
    rc, out, err = run_cli([bad, '--ann', ps['ann_file'], '--images',
                            ps['img_dir']], capsys)
    assert rc == 2 and len(err) == 1
    assert err[0].startswith('error: ') and bad in err[0]
    assert 'detector checkpoint' in err[0]
    other = str(tmp_path / 'weights.pth')
    torch.save(dict(state_dict={'fc.weight': torch.zeros(1)}), other)
    rc, out, err = run_cli([other, '--ann', ps['ann_file'], '--images',
                            ps['img_dir']], capsys)
    assert rc == 2 and len(err) == 1 and 'not an mmsoco' in err[0]
    # images missing: the annotation file and a folder without them
    model = build_model(tiny_soco_cfg())
    ckpt = str(tmp_path / 'tiny.pth')
    save_checkpoint(model, ckpt)
    empty = tmp_path / 'no_images'
    empty.mkdir()
    rc, out, err = run_cli([ckpt, '--ann', ps['ann_file'], '--images',
                            str(empty)], capsys)
    assert rc == 2 and len(err) == 1
    assert ps['ann_file'] in err[0] and '--images' in err[0]
    # a config without --random
    cfg = str(tmp_path / 'c.py')
    Config(dict(model=tiny_soco_cfg())).dump(cfg)
    rc, out, err = run_cli([cfg, '--ann', ps['ann_file'], '--images',
                            ps['img_dir']], capsys)
    assert rc == 2 and len(err) == 1 and '--random' in err[0]


# ------------------------------------------------------- Runner + curve
def test_probe_as_val_evaluator_in_a_runner(probe_set, coco_tiny, tmp_path):
    """2 SoCo iterations with the probe every iteration: the metrics are
    logged as probe/..., BN is back in train mode after the probe, and
    the curve PNG is written."""
    modes = []

    from mmengine.hooks import Hook

    class Modes(Hook):
        def before_train_iter(self, runner, batch_idx, data_batch=None):
            modes.append(runner.model.backbone.bn1.training)

    runner = Runner(
        model=tiny_soco_cfg(),
        work_dir=str(tmp_path / 'run'),
        train_dataloader=dict(
            dataset=PackedSoCoToyDataset(osp.join(coco_tiny, 'train2017'),
                                         num_images=4, sizes=(64, 64, 32)),
            sampler=dict(type='InfiniteSampler', shuffle=True),
            batch_size=2, num_workers=0),
        train_cfg=dict(type='IterBasedTrainLoop', max_iters=2,
                       val_interval=1),
        val_dataloader=dict(
            dataset=dict(type='BoxProbeDataset', scale=(160, 96),
                         **probe_set),
            sampler=dict(type='DefaultSampler', shuffle=False),
            batch_size=3, num_workers=0),
        val_evaluator=dict(type='BoxKNNProbe', k=5),
        val_cfg=dict(type='BoxProbeValLoop'),
        optim_wrapper=dict(optimizer=dict(type='SGD', lr=0.01)),
        default_hooks=dict(logger=dict(type='LoggerHook', interval=1),
                           checkpoint=dict(type='CheckpointHook',
                                           interval=2, by_epoch=False),
                           loss_curve=dict(type='LossCurveHook')),
        custom_hooks=[dict(type='MomentumTargetHook'), Modes()],
        default_scope='mmsoco', log_level='WARNING')
    runner.train()
    scalars = runner.message_hub.log_scalars
    for key in ('val/probe/head_top1', 'val/probe/c5_mean_acc',
                'val/probe/head_mean_cos'):
        assert key in scalars, sorted(scalars)
    assert 0 <= scalars['val/probe/head_top1'].current() <= 1
    assert modes == [True, True]
    hook = next(h for h in runner.hooks if type(h).__name__ ==
                'LossCurveHook')
    assert [it for it, _ in hook.losses] == [1, 2]
    assert [it for it, _ in hook.metrics] == [1, 2]
    png = osp.join(runner.work_dir, 'loss.png')
    with open(png, 'rb') as f:
        assert f.read(8) == b'\x89PNG\r\n\x1a\n'
    assert not [n for n in os.listdir(runner.work_dir)
                if n.startswith('.tmp_')]
    assert os.stat(png).st_mode & 0o044  # readable by others (no 0600)
    ckpt = torch.load(osp.join(runner.work_dir, 'iter_2.pth'),
                      weights_only=False)
    assert len(ckpt['meta']['loss_curve']['losses']) == 2


# ----------------------------------------------------------- LR rule
def fake_runner(cfg, world_size):
    from types import SimpleNamespace

    from mmengine.logging import MMLogger
    return SimpleNamespace(world_size=world_size,
                           _train_dataloader=cfg.train_dataloader,
                           train_dataloader=cfg.train_dataloader,
                           param_schedulers=None,
                           logger=MMLogger.get_current_instance())


@pytest.mark.parametrize('name,base_lr', [('soco_r18_fpn_1xb4-12iter_demo.py', 1.0),
                                          ('insloc_r18_fpn_1xb4-8iter_demo.py', 0.03)])
@pytest.mark.parametrize('world,batch', [(1, None), (2, 8)])
def test_demo_lr_follows_the_recipe_rule(name, base_lr, world, batch):
    """Effective LR = base LR x (GPUs x batch per GPU) / 256, through
    mmengine's own auto_scale_lr code (the unscaled 1.0 under
    LARS at batch 8 collapsed the demo's features)."""
    from mmengine.optim import build_optim_wrapper
    from mmengine.registry import init_default_scope
    cfg = Config.fromfile(osp.join(REPO, 'configs', name))
    if batch:
        cfg.train_dataloader.batch_size = batch
    init_default_scope('mmsoco')
    model = torch.nn.Sequential(torch.nn.Conv2d(3, 4, 3))
    wrapper = build_optim_wrapper(model, cfg.optim_wrapper)
    Runner.scale_lr(fake_runner(cfg, world), wrapper, cfg.auto_scale_lr)
    global_batch = world * cfg.train_dataloader.batch_size
    for group in wrapper.optimizer.param_groups:
        assert group['lr'] == pytest.approx(base_lr * global_batch / 256)


def test_demo_probe_config():
    cfg = Config.fromfile(osp.join(REPO, 'configs',
                                   'soco_r18_fpn_1xb4-12iter_demo-probe.py'))
    assert cfg.val_cfg.type == 'BoxProbeValLoop'
    assert cfg.val_evaluator.type == 'BoxKNNProbe'
    assert cfg.val_dataloader.dataset.type == 'BoxProbeDataset'
    assert cfg.train_cfg.val_interval == 6 and cfg.train_cfg.max_iters == 12
    assert cfg.default_hooks.loss_curve.type == 'LossCurveHook'


def test_loss_curve_history_stays_bounded():
    from types import SimpleNamespace

    from mmsoco.engine.hooks import LossCurveHook
    hook = LossCurveHook(max_points=4)
    runner = SimpleNamespace(iter=0)
    for i in range(9):
        runner.iter = i
        hook.after_train_iter(runner, i, outputs=dict(loss=torch.tensor(
            float(i))))
    # 8 points were halved to 4 (pairs averaged), then one more came
    assert hook.losses == [(2, 0.5), (4, 2.5), (6, 4.5), (8, 6.5), (9, 8.)]
