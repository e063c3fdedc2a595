"""tools/transfer_chain.py end to end on coco_tiny, shortened: SoCo demo
model pretrained 2 iterations on train2017 (proposals computed first),
exported, Mask R-CNN fine-tuned 2 iterations from it and from random
initialisation at a small image scale, evaluated on val2017 with CocoMetric.
A rerun reuses every stage; bad arguments are refused in one line."""
import json
import os.path as osp
import re
import subprocess
import sys

import pytest
import torch

from tests.conftest import REPO

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
