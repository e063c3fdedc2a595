"""tools/transfer_chain.py end to end on coco_tiny, shortened: SoCo demo
model pretrained 2 iterations on train2017 (proposals computed first),
exported, Mask R-CNN fine-tuned 2 iterations from it and from random
initialisation at a small image scale, evaluated on val2017 with CocoMetric.
A rerun reuses every stage; bad arguments are refused in one line."""
import glob
import json
import os
import os.path as osp
import re
import signal
import subprocess
import sys

import pytest
import torch

from tests.helpers import REPO, load_script, sigint_default

TOOL = osp.join(REPO, 'tools', 'transfer_chain.py')


def chain(tool_env, *args):
    return subprocess.run([sys.executable, TOOL, *args], cwd=REPO,
                          env=tool_env, capture_output=True, text=True,
                          timeout=1200)


def small_scale_options():
    return [
        'train_dataloader.dataset.pipeline.2.scales=[(256,160),(256,192)]',
        'test_dataloader.dataset.pipeline.1.scale=(256,192)',
        # a 2-iteration model scores every box below mmdet's 0.05: keep
        # them, so that CocoMetric evaluates real detections
        'model.test_cfg.rcnn.score_thr=0.0',
        'model.test_cfg.rcnn.max_per_img=20',
    ]


def table_rows(out: str) -> dict:
    rows = {}
    for line in out.splitlines():
        m = re.match(r'\| (\w+) \| ([\d.| -]+)\|$', line)
        if m and m.group(1) != 'init':
            rows[m.group(1)] = [float(v) for v in m.group(2).split('|')]
    return rows


def test_chain_pretrain_export_finetune_evaluate(coco_tiny, tmp_path,
                                                  tool_env):
    work = tmp_path / 'chain'
    args = ['--data-root', coco_tiny, '--work-dir', str(work),
            '--pretrain-iters', '2', '--finetune-iters', '2',
            '--pretrain-cfg-options', 'train_dataloader.num_workers=0',
            '--finetune-cfg-options', *small_scale_options()]
    proc = chain(tool_env, *args)
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]

    # pretraining ran on coco_tiny train2017 with its own proposals
    store = json.loads((work / 'proposals' / 'meta.json').read_text())
    assert store['num_keys'] == 80
    ckpt = torch.load(work / 'pretrain' / 'iter_2.pth', map_location='cpu',
                      weights_only=False)
    assert ckpt['meta']['iter'] == 2
    # the config's ExportMapHook wrote the export map the exporter follows
    assert ckpt['meta']['mmsoco_export_map']['model_type'] == 'SoCo'
    assert ckpt['meta']['mmsoco_export_map']['arch'] == 'fpn'
    # the export holds the online network's detector modules
    export = torch.load(work / 'pretrain' / 'mmdet.pth', map_location='cpu',
                        weights_only=False)['state_dict']
    assert torch.equal(export['backbone.conv1.weight'],
                       ckpt['state_dict']['backbone.conv1.weight'])
    assert 'roi_head.bbox_head.shared_fcs.0.weight' in export

    rows = table_rows(proc.stdout)
    assert set(rows) == {'mmsoco', 'random'}, proc.stdout[-2000:]
    for name, values in rows.items():
        assert len(values) == 6 and all(0 <= v <= 100 for v in values)
        metrics = json.loads(
            (work / f'finetune_{name}' / 'metrics.json').read_text())
        # a real COCO evaluation: size-split APs are only in its output
        assert set(metrics) >= {'bbox_mAP', 'segm_mAP', 'bbox_mAP_s',
                                'segm_mAP_l'}
        assert rows[name][0] == pytest.approx(100 * metrics['bbox_mAP'],
                                              abs=0.051)

    # a rerun reuses every stage: no training, the same table
    again = chain(tool_env, *args)
    assert again.returncode == 0, again.stderr[-3000:]
    assert 'Iter(train)' not in again.stdout + again.stderr
    assert table_rows(again.stdout) == rows


def test_chain_refuses_bad_arguments(tmp_path, tool_env):
    proc = chain(tool_env, '--data-root', str(tmp_path), '--compare',
                 'nopath', 'other=/no/such.pth', '--work-dir',
                 str(tmp_path / 'w'))
    assert proc.returncode == 2
    err = proc.stderr
    assert f'--data-root {tmp_path} has no train2017' in err
    assert "--compare 'nopath': write NAME=CHECKPOINT" in err
    assert '--compare other: /no/such.pth not found' in err
    assert 'Traceback' not in err


def own_set(tmp_path):
    """A hand-made VIA-labelled set, converted to COCO with the converter:
    4 train and 2 val images, classes balloon and box."""
    from mmsoco.datasets.converters import convert_via
    from tests.labels_tiny import make_images, write_via
    paths = {}
    for split, n, seed in (('train', 4, 1), ('val', 2, 2)):
        folder = tmp_path / 'own' / split
        via = write_via(str(folder), make_images(str(folder), n, seed))
        ann = str(tmp_path / 'own' / f'{split}.json')
        convert_via(via).write(ann)
        paths[split] = (str(folder), ann)
    return ['--train-images', paths['train'][0], '--train-ann',
            paths['train'][1], '--val-images', paths['val'][0], '--val-ann',
            paths['val'][1]]


def finetune_scales(work_dir) -> tuple:
    """The (train, test) image scales of the config a fine-tune ran with
    (mmengine dumps it into the work dir)."""
    from mmengine.config import Config
    dumped = [p for p in glob.glob(osp.join(work_dir, '**', '*.py'),
                                   recursive=True)]
    assert dumped, f'no config dumped under {work_dir}'
    cfg = Config.fromfile(dumped[0])
    train = next(t for t in cfg.train_dataloader.dataset.pipeline
                 if t.type == 'RandomChoiceResize')
    test = next(t for t in cfg.test_dataloader.dataset.pipeline
                if t.type == 'Resize')
    return [tuple(s) for s in train.scales], tuple(test.scale)


def test_chain_on_own_coco_format_set(tmp_path, tool_env):
    """The chain on a VIA set converted to COCO, classes from the JSON (no
    --cfg-options for them): pretrain on its train images (proposals with
    the small-objects filter), fine-tune a 2-class Mask R-CNN at the scale
    asked for from mmsoco and from random init, evaluate; then again from
    --pretrained without pretraining."""
    work = tmp_path / 'chain'
    own = own_set(tmp_path)
    proc = chain(tool_env, *own, '--work-dir', str(work),
                 '--pretrain-iters', '2', '--finetune-iters', '2',
                 '--filter', 'small_objects', '--finetune-scale', '256', '192',
                 '--pretrain-cfg-options', 'train_dataloader.num_workers=0',
                 '--finetune-cfg-options', *small_scale_options()[2:])
    out = proc.stdout + proc.stderr
    assert proc.returncode == 0, out[-4000:]
    assert '2 classes from' in proc.stdout and 'balloon, box' in proc.stdout
    store = json.loads((work / 'proposals' / 'meta.json').read_text())
    assert store['num_keys'] == 4  # the train images, not val
    assert 'small_objects' in json.dumps(store)
    assert 'ratio3size0308' not in json.dumps(store)
    rows = table_rows(proc.stdout)
    assert set(rows) == {'mmsoco', 'random'}, proc.stdout[-2000:]
    for name in rows:
        metrics = json.loads(
            (work / f'finetune_{name}' / 'metrics.json').read_text())
        assert set(metrics) >= {'bbox_mAP', 'segm_mAP', 'bbox_mAP_s'}
        assert rows[name][0] == pytest.approx(100 * metrics['bbox_mAP'],
                                              abs=0.051)
        ckpt = torch.load(work / f'finetune_{name}' / 'iter_2.pth',
                          map_location='cpu', weights_only=False)
        sd = ckpt['state_dict']
        # heads sized from the JSON: 2 classes (+ background for boxes)
        assert sd['roi_head.bbox_head.fc_cls.weight'].shape[0] == 3
        assert sd['roi_head.mask_head.conv_logits.weight'].shape[0] == 2
        assert ckpt['meta']['dataset_meta']['classes'] == ('balloon', 'box')
        # --finetune-scale 256 192: the largest train scale and the test
        # scale (the config's 533x256..320 keep their spread)
        assert finetune_scales(str(work / f'finetune_{name}')) == (
            [(256, 154), (256, 173), (256, 192)], (256, 192))

    # --pretrained: no pretraining; its export is fine-tuned (a new
    # checkpoint: that fine-tune runs again and says why)
    before = os.stat(work / 'finetune_mmsoco' / 'metrics.json').st_mtime_ns
    again = chain(tool_env, *own, '--work-dir', str(work),
                  '--pretrained', str(work / 'pretrain' / 'iter_2.pth'),
                  '--no-random', '--finetune-iters', '2',
                  '--finetune-scale', '256', '192',
                  '--finetune-cfg-options', *small_scale_options()[2:])
    out = again.stdout + again.stderr
    assert again.returncode == 0, out[-4000:]
    assert '1/4 pretrain: skipped, starting from' in again.stdout
    assert 'pretrain: iteration' not in out
    # the fine-tune ran again
    assert os.stat(work / 'finetune_mmsoco' / 'metrics.json'
                   ).st_mtime_ns > before
    assert (work / 'finetune_mmsoco' / 'iter_2.pth').is_file()
    assert f'exported: {work / "pretrained" / "mmdet.pth"}' in again.stdout
    assert re.search(r'finetune_mmsoco: settings changed \(checkpoint ',
                     again.stdout), again.stdout[-3000:]
    assert set(table_rows(again.stdout)) == {'mmsoco'}


def test_chain_checks_own_set_in_one_line(tmp_path):
    tool = load_script(TOOL, 'transfer_chain_tool')
    args = own_set(tmp_path)
    problems = tool.check_args(tool.parse_args(args[:4]))
    assert problems == ['give all of --train-images, --train-ann, '
                        '--val-images and --val-ann (or --data-root for the '
                        'COCO layout)']
    assert tool.check_args(tool.parse_args(args)) == []
    # val labelled with another class list; a train image gone
    val = json.loads(open(args[7]).read())
    val['categories'][0]['name'] = 'kite'
    with open(args[7], 'w') as f:
        json.dump(val, f)
    os.remove(osp.join(args[1], 'img_00.png'))
    problems = tool.check_args(tool.parse_args(args))
    assert len(problems) == 2, problems
    assert problems[0].startswith(f'1 of the 4 images in {args[3]} are not '
                                  f'in {args[1]} (e.g. img_00.png)')
    assert f'the categories of {args[7]} ([\'kite\', \'box\'])' in \
        problems[1] and 'same class list' in problems[1]


def test_chain_refuses_images_outside_the_image_folders(tmp_path):
    """``../..`` and absolute ``file_name`` s that leave --train-images or
    --val-images are refused by the pre-check, one line naming the entry,
    even when the file they name exists."""
    import shutil
    tool = load_script(TOOL, 'transfer_chain_tool')
    args = own_set(tmp_path)
    outside = tmp_path / 'outside.png'
    shutil.copy(osp.join(args[1], 'img_00.png'), outside)
    for ann, name in ((args[3], '../../outside.png'),
                      (args[7], str(outside))):
        coco = json.loads(open(ann).read())
        coco['images'][0]['file_name'] = name
        with open(ann, 'w') as f:
            json.dump(coco, f)
    problems = tool.check_args(tool.parse_args(args))
    assert problems == [
        f"{args[3]}: image entry '../../outside.png' is outside the image "
        f'root {args[1]} (".."); give paths relative to the image root, '
        'without ".."',
        f"{args[7]}: image entry '{outside}' is outside the image root "
        f'{args[5]}; give paths relative to the image root, without ".."']


# ------------------------------------------------------------ stages
def rule_lr(config: str, iters: int, iteration: int) -> float:
    """The LR of (1-based) ``iteration`` when ``config`` is rescaled to
    ``iters`` iterations by the run-length rule (tools/train.py --iters),
    through mmengine's own schedulers and the auto-scaled base LR."""
    from mmengine.config import Config
    from mmengine.registry import PARAM_SCHEDULERS

    from mmsoco.engine.run_length import set_run_length
    cfg = Config.fromfile(config)
    set_run_length(cfg, iters=iters)
    lr = cfg.optim_wrapper.optimizer.lr * \
        cfg.train_dataloader.batch_size / cfg.auto_scale_lr.base_batch_size
    opt = torch.optim.SGD([torch.nn.Parameter(torch.zeros(1))], lr=lr)
    scheds = [PARAM_SCHEDULERS.build(dict(s, optimizer=opt))
              for s in cfg.param_scheduler]
    for _ in range(iteration - 1):
        opt.step()
        for s in scheds:
            s.step()
    return opt.param_groups[0]['lr']


def logged(run_dir: str, key: str) -> dict:
    """{iteration: value} of ``key`` in the run's scalars.json."""
    found = {}
    for path in glob.glob(osp.join(run_dir, '*', 'vis_data',
                                   'scalars.json')):
        for line in open(path):
            row = json.loads(line)
            if key in row and 'iter' in row:
                found[row['iter']] = row[key]
    return found


def test_pretrain_stage_follows_the_rule_and_its_settings(tmp_path):
    """The chain's pretraining is rescaled as tools/train.py --iters does
    (the logged LR of iteration 2 of 4 is the rule's: no warm-up left at
    1/100 of it); a rerun with the same settings reuses it, one with other
    settings runs again and names the change."""
    from mmsoco.transfer import chain
    from tests.labels_tiny import make_images
    images = str(tmp_path / 'images')
    make_images(images, 4)
    config = osp.join(REPO, 'configs', 'soco_r18_fpn_1xb4-12iter_demo.py')
    said = []
    options = {'train_dataloader.num_workers': 0}
    ckpt = chain.pretrain(config, images, str(tmp_path / 'w'), 4, options,
                          proposal_filter='small_objects', say=said.append)
    run_dir = str(tmp_path / 'w' / 'pretrain')
    assert ckpt == osp.join(run_dir, 'iter_4.pth') and said == []
    lrs = logged(run_dir, 'lr')
    assert sorted(lrs) == [1, 2, 3, 4]
    assert lrs[2] == pytest.approx(rule_lr(config, 4, 2), rel=1e-4)
    assert lrs[2] > 0.01  # 1.0 x 4 / 256, not 1/100 of it
    meta = json.loads((tmp_path / 'w' / 'proposals' / 'meta.json'
                       ).read_text())
    assert 'small_objects' in json.dumps(meta)

    mtime = os.stat(ckpt).st_mtime_ns
    assert chain.pretrain(config, images, str(tmp_path / 'w'), 4, options,
                          proposal_filter='small_objects',
                          say=said.append) == ckpt
    assert said == [] and os.stat(ckpt).st_mtime_ns == mtime

    ckpt2 = chain.pretrain(config, images, str(tmp_path / 'w'), 2, options,
                           proposal_filter='small_objects', say=said.append)
    assert ckpt2 == osp.join(run_dir, 'iter_2.pth')
    assert len(said) == 1 and 'pretrain: settings changed' in said[0]
    assert 'iters 4 -> 2' in said[0]
    assert not osp.exists(ckpt)  # the old run was replaced, not mixed in


def test_ctrl_c_in_the_chain_is_one_line(tmp_path, tool_env):
    work = tmp_path / 'chain'
    proc = subprocess.Popen(
        [sys.executable, TOOL, *own_set(tmp_path), '--work-dir', str(work),
         '--pretrain-iters', '50', '--pretrain-cfg-options',
         'train_dataloader.num_workers=0'], cwd=REPO, env=tool_env,
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
        preexec_fn=sigint_default)
    seen = []
    for line in proc.stdout:
        seen.append(line)
        if 'Iter(train) [ 2/50]' in line or 'Iter(train) [2/50]' in line:
            break
    proc.send_signal(signal.SIGINT)
    rest = proc.stdout.read()
    assert proc.wait(timeout=120) == 130, ''.join(seen[-20:]) + rest
    assert 'Traceback' not in rest
    lines = [ln for ln in rest.splitlines() if ln.startswith('interrupted:')]
    assert len(lines) == 1 and 'rerun the same command' in lines[0], rest
    # the loss curve so far was drawn on the way out
    assert (work / 'pretrain' / 'loss.png').read_bytes()[:4] == b'\x89PNG'
