"""tools/train.py turns command-line mistakes into one line naming them."""
import glob
import os
import os.path as osp
import subprocess
import sys

import pytest

from ..helpers import (REPO, TOY_CONFIG, TRAIN, assert_one_line_error,
                       run_train)


@pytest.mark.parametrize('args, needles', [
    (['configs/no_such_config.py'], ['no_such_config.py', 'not found']),
    ([TOY_CONFIG, '--launcher', 'mpi'], ["'mpi'", 'pytorch', 'slurm']),
    ([TOY_CONFIG, '--cfg-options', 'train_cfg.max_iter=1'],
     ["'train_cfg.max_iter'", 'does not exist', 'closest: max_iters']),
    ([TOY_CONFIG, '--cfg-options', 'nosuch.key=1'], ["'nosuch.key'"]),
    ([TOY_CONFIG, '--resume', 'missing.pth'], ['missing.pth']),
    ([TOY_CONFIG, '--cfg-options', 'foo'], ["'foo'", 'key=value']),
    ([TOY_CONFIG, '--cfg-options', 'train_cfg.max_iters=2', '=3'],
     ["'=3'", 'key=value']),
    ([TOY_CONFIG, '--launcher', 'pytorch'],
     ['--launcher pytorch', 'RANK', 'WORLD_SIZE', 'tools/dist_train.sh']),
    ([TOY_CONFIG, '--launcher', 'slurm'],
     ['--launcher slurm', 'SLURM_PROCID', 'tools/slurm_train.sh']),
])
def test_bad_input_gives_one_line(args, needles, tool_env):
    for name in ('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT',
                 'SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST'):
        tool_env.pop(name, None)  # as when run by hand, outside a launcher
    assert_one_line_error(run_train(args, tool_env), *needles)


def test_existing_cfg_options_train(tmp_path, tool_env):
    proc = run_train([TOY_CONFIG, '--work-dir', str(tmp_path),
                      '--cfg-options', 'train_cfg.max_iters=2',
                      'model.width=4'], tool_env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import torch
    record = torch.load(tmp_path / 'rank0.pt', weights_only=False)
    assert record['iters'] == [0, 1]
    assert record['params']['body.0.weight'].shape == (4, 4)


def test_amp_runs_on_cpu(tmp_path, tool_env):
    """--amp: fp16 + loss scaling on CUDA; on the CPU, bf16 autocast."""
    proc = run_train([TOY_CONFIG, '--work-dir', str(tmp_path), '--amp',
                      '--cfg-options', 'train_cfg.max_iters=2'], tool_env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    import torch
    expected = 'AmpOptimWrapper' if torch.cuda.is_available() else \
        'CPUAmpOptimWrapper'
    # the config dump goes to the log file in the work dir
    logs = ''.join(open(p).read() for p in glob.glob(
        osp.join(tmp_path, '*', '*.log')))
    assert f"type='{expected}'" in logs
    assert expected in proc.stdout  # the summary names the wrapper
    record = torch.load(tmp_path / 'rank0.pt', weights_only=False)
    assert record['dtype'] == ('torch.float16' if torch.cuda.is_available()
                               else 'torch.bfloat16')


def coco_layout(photo_folder: str, root) -> str:
    """Two real photos in COCO's layout (train2017/, val2017/,
    annotations/instances_*2017.json), each with one made-up 'person' box
    and polygon: enough for the detection datasets to load."""
    import json
    import shutil

    import cv2
    names = sorted(os.listdir(photo_folder))[:2]
    for split in ('train2017', 'val2017'):
        os.makedirs(root / split)
        images, anns = [], []
        for i, name in enumerate(names, 1):
            shutil.copyfile(osp.join(photo_folder, name), root / split / name)
            h, w = cv2.imread(osp.join(photo_folder, name)).shape[:2]
            x, y, bw, bh = w // 4, h // 4, w // 2, h // 2
            images.append(dict(id=i, file_name=name, width=w, height=h))
            anns.append(dict(id=i, image_id=i, category_id=1, iscrowd=0,
                             bbox=[x, y, bw, bh], area=bw * bh,
                             segmentation=[[x, y, x + bw, y, x + bw, y + bh,
                                            x, y + bh]]))
        os.makedirs(root / 'annotations', exist_ok=True)
        with open(root / 'annotations' / f'instances_{split}.json', 'w') as f:
            json.dump(dict(images=images, annotations=anns, categories=[
                dict(id=1, name='person', supercategory='person')]), f)
    return osp.join(str(root), '')


def test_missing_pretrained_file_gives_one_line(photo_folder, tmp_path,
                                                tool_env):
    cfg = osp.join(REPO, 'configs/transfer/mask-rcnn_r18_fpn_soco_coco-tiny.py')
    root = coco_layout(photo_folder, tmp_path / 'coco')
    proc = run_train([
        cfg, '--work-dir', str(tmp_path), '--cfg-options',
        f'train_dataloader.dataset.data_root={root}',
        f'val_dataloader.dataset.data_root={root}',
        f'val_evaluator.ann_file={root}annotations/instances_val2017.json',
        'model.init_cfg.checkpoint=/no/such/soco_mmdet.pth'
    ], tool_env)
    assert_one_line_error(proc, '/no/such/soco_mmdet.pth', 'not found',
                          'tools/export_weights.py')


SOCO_DEMO = osp.join(REPO, 'configs', 'soco_r18_fpn_1xb4-12iter_demo.py')


@pytest.mark.parametrize('body, needles', [
    ('model = dict(backbone=dict(dept=18))',
     ['model.backbone.dept', "'dept'", 'closest: depth']),
    ("train_dataloader = dict(dataset=dict(data_rot='data/x'))",
     ['train_dataloader.dataset.data_rot', 'closest: data_root']),
    ("model = dict(type='SoCoo')",
     ['model.type', "'SoCoo'", 'closest: SoCo']),
    ("train_dataloader = dict(dataset=dict(pipeline=["
     "dict(type='LoadImageFromFil')]))",
     ['pipeline[0].type', 'LoadImageFromFile']),
])
def test_config_typos_give_one_line(body, needles, tmp_path, tool_env):
    """Misspelt types and keywords in a config file: one line naming the
    key and the closest valid names, before anything is built."""
    cfg = tmp_path / 'typo.py'
    cfg.write_text(f'_base_ = [{SOCO_DEMO!r}]\n{body}\n')
    proc = run_train([str(cfg), '--work-dir', str(tmp_path / 'w')], tool_env)
    assert_one_line_error(proc, *needles)
    assert not (tmp_path / 'w').exists() or not any(
        (tmp_path / 'w').rglob('*.pth'))


@pytest.mark.parametrize('args, needles', [
    ([SOCO_DEMO, '--cfg-options', 'max_iters=2'],
     ["'max_iters'", 'drives nothing', 'train_cfg.max_iters', '--iters']),
    ([SOCO_DEMO, '--iters', '0'], ['--iters must be at least 1']),
])
def test_cfg_options_that_drive_nothing(args, needles, tool_env):
    assert_one_line_error(run_train(args, tool_env), *needles)


def test_bad_thread_setting_gives_one_line(tool_env):
    tool_env['MMSOCO_NUM_THREADS'] = 'all'
    assert_one_line_error(
        run_train([TOY_CONFIG, '--cfg-options', 'train_cfg.max_iters=1'],
                  tool_env), "MMSOCO_NUM_THREADS='all'", 'positive integer')

@pytest.mark.parametrize('args, needles', [
    ([TOY_CONFIG, '--cfg-options', 'train_dataloader.batch_size=abc'],
     ['train_dataloader.batch_size', "'abc'", 'whole number']),
    ([TOY_CONFIG, '--cfg-options', 'train_dataloader.batch_size=0'],
     ['train_dataloader.batch_size', 'at least 1']),
    ([TOY_CONFIG, '--cfg-options', 'train_dataloader.num_workers=-1'],
     ['train_dataloader.num_workers', 'at least 0']),
    ([TOY_CONFIG, '--cfg-options', 'train_cfg.max_iters=0'],
     ['train_cfg.max_iters', 'at least 1']),
    (['configs/soco_r50_fpn.py', '--cfg-options', 'train_cfg.max_epochs=0'],
     ['train_cfg.max_epochs', 'at least 1']),
    ([TOY_CONFIG, '--resume', TOY_CONFIG], [TOY_CONFIG, 'not a checkpoint']),
    (['configs/soco_r18_fpn_1xb4-12iter_demo.py', '--cfg-options',
      'model.backbone.depth=19'],
     ['model.backbone.depth', 'no depth 19', 'valid: 18, 34, 50']),
    (['configs/soco_r18_fpn_1xb4-12iter_dmeo.py'],
     ['not found', 'closest: configs/soco_r18_fpn_1xb4-12iter_demo.py']),
])
def test_bad_values_give_one_line_exit_2(args, needles, tmp_path, tool_env):
    proc = run_train([*args, '--work-dir', str(tmp_path / 'w')], tool_env)
    assert_one_line_error(proc, *needles)
    assert proc.returncode == 2


def test_disk_full_while_saving_a_checkpoint(tmp_path, tool_env):
    """A file size limit makes the checkpoint write fail as a full disk
    would: one line, exit 2, and no checkpoint (whole or partial) under a
    final name."""
    import resource
    import signal
    limit = 96 * 1024  # logs fit, the 4000-wide toy's checkpoint does not

    def small_files():
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # EFBIG, not a kill
        resource.setrlimit(resource.RLIMIT_FSIZE, (limit, limit))

    work = tmp_path / 'w'
    proc = subprocess.run(
        [sys.executable, TRAIN, TOY_CONFIG, '--work-dir', str(work),
         '--cfg-options', 'model.width=4000',
         'default_hooks.checkpoint.interval=1'],
        cwd=REPO, env=tool_env, capture_output=True, text=True, timeout=300,
        preexec_fn=small_files)
    assert_one_line_error(proc, 'no space left while writing', str(work))
    assert proc.returncode == 2
    left = os.listdir(work)
    assert not [n for n in left if n.endswith('.pth') or '.tmp-' in n], left
    assert not osp.exists(work / 'last_checkpoint')


def test_quiet_start_and_first_iteration_logged(tmp_path, tool_env):
    """A short summary instead of the environment and config dump (which go
    to the log file), and a log line with an ETA from the first iteration,
    though the logging interval is longer than the run."""
    work = tmp_path / 'w'
    proc = run_train([TOY_CONFIG, '--work-dir', str(work), '--cfg-options',
                      'train_cfg.max_iters=3',
                      'default_hooks.logger.interval=1000'], tool_env)
    assert proc.returncode == 0, proc.stderr[-3000:]
    lines = proc.stdout.splitlines()
    assert lines[0] == 'model:    ToyRegressor'
    assert f'work dir: {work}' in proc.stdout
    assert 'System environment' not in proc.stdout
    assert 'Config:' not in proc.stdout
    logged = [i for i, line in enumerate(lines) if '(train)' in line]
    assert logged, proc.stdout
    assert '[ 1/' in lines[logged[0]] or '[1/' in lines[logged[0]]
    assert 'eta: ' in lines[logged[0]]
    assert logged[0] < 15, proc.stdout  # the summary and a few warnings
    logs = ''.join(open(p).read() for p in glob.glob(
        osp.join(work, '*', '*.log')))
    assert 'System environment' in logs and 'Config:' in logs
