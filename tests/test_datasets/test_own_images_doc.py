"""docs/own_images.md's three commands (proposals, pretrain, export) run
as written on a folder of scikit-image photos, with only the length, batch
and worker count made small and the paths pointed at a temporary folder."""
import os.path as osp
import re
import subprocess

import torch

from ..helpers import REPO
from .image_folders import add_bad_files, photo_folder

DOC = osp.join(REPO, 'docs', 'own_images.md')
MARK = ('<!-- the three commands: '
        'tests/test_datasets/test_own_images_doc.py -->')
# what the test adds to the doc's train command: a short run on 2 cores
SHORT_RUN = ('--iters 2 --cfg-options'
             ' train_dataloader.batch_size=2 train_dataloader.num_workers=0'
             ' default_hooks.logger.interval=1')


def doc_commands():
    """The commands of the fenced block after MARK, one per line
    (backslash continuations joined, comments dropped)."""
    text = open(DOC).read()
    assert MARK in text, f'{DOC} lost its marked command block'
    block = re.search(r'```(?:bash|shell)?\n(.*?)```',
                      text[text.index(MARK):], re.S).group(1)
    block = block.replace('\\\n', ' ')
    return [' '.join(line.split()) for line in block.splitlines()
            if line.strip() and not line.lstrip().startswith('#')]


def test_the_docs_commands_run_as_written(tmp_path, tool_env):
    commands = doc_commands()
    assert [c.split()[1] for c in commands] == [
        'tools/generate_proposals.py', 'tools/train.py',
        'tools/export_weights.py']
    images = str(tmp_path / 'my_images')
    keys = photo_folder(images, n=6)
    add_bad_files(images, keys[0])  # the run must not mind them
    work = str(tmp_path / 'my_soco')
    logs, ran = [], []
    for cmd in commands:
        cmd = cmd.replace('data/my_images', images).replace(
            'work_dirs/my_soco', work)
        ran.append(cmd)
        if 'tools/train.py' in cmd:
            cmd += ' ' + SHORT_RUN
        proc = subprocess.run(['bash', '-c', cmd], cwd=REPO, env=tool_env,
                              capture_output=True, text=True, timeout=600)
        logs.append(proc.stdout + proc.stderr)
        assert proc.returncode == 0, f'{cmd}\n{logs[-1][-3000:]}'
    assert '2 bad files' in logs[0]
    assert '2 of 8 images left out' in logs[1]
    losses = [float(v) for v in re.findall(r' loss: (-?[\d.]+)', logs[1])]
    assert len(losses) >= 1 and all(-8 <= v <= 8 for v in losses)
    assert osp.isfile(osp.join(work, 'iter_2.pth'))
    exported = ran[2].split()[-1]  # the export's output comes last
    assert exported.startswith(work) and 'wrote' in logs[2]
    out = torch.load(osp.join(REPO, exported), map_location='cpu',
                     weights_only=False)
    state = out.get('state_dict', out)
    assert any(k.startswith('backbone.') for k in state)
    assert any(k.startswith('neck.') for k in state)
    assert any(k.startswith('roi_head.bbox_head.shared_fcs') for k in state)
    # the doc's claim: the export loads, every tensor, into the ResNet-18
    # FPN transfer config
    assert_loads_into_r18_transfer_config(osp.join(REPO, exported), state)


def assert_loads_into_r18_transfer_config(path, state):
    from mmengine.config import Config
    from mmengine.registry import init_default_scope

    from mmdet.registry import MODELS
    cfg = Config.fromfile(osp.join(
        REPO, 'configs', 'transfer', 'mask-rcnn_r18_fpn_soco_coco-tiny.py'))
    cfg.model.init_cfg.checkpoint = path
    init_default_scope('mmdet')
    model = MODELS.build(cfg.model)
    model.init_weights()
    got = model.state_dict()
    for key, value in state.items():
        assert torch.equal(got[key].float(), value.float()), key
