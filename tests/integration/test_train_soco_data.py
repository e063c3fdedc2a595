"""tools/train.py on configs/soco_r50_fpn.py: a data root or proposals store
that does not exist, or a store made for other images, stops the run with
the dataset's one line (path + the command that makes the store), not an
mmengine traceback; and the config's AMP switch."""
import glob
import os.path as osp

import numpy as np
import pytest

from ..helpers import (REPO, TRAIN, assert_one_line_error, load_script,
                       run_train)

CONFIG = 'configs/soco_r50_fpn.py'


def dataset_options(data_root, proposals):
    return ['--cfg-options', f'train_dataloader.dataset.data_root={data_root}',
            f'train_dataloader.dataset.proposals={proposals}']


def check_dataset_line(proc, *needles):
    assert_one_line_error(proc, 'SoCoDataset:', *needles)
    line = proc.stderr.strip().splitlines()[-1]
    assert 'class `' not in line  # mmengine's build prefix is gone


@pytest.fixture(scope='module')
def val_images(photo_folder):
    return photo_folder


def test_missing_data_root(tmp_path, tool_env):
    root, store = str(tmp_path / 'no_images'), str(tmp_path / 'store')
    proc = run_train([CONFIG, '--work-dir', str(tmp_path / 'work'),
                      *dataset_options(root, store)], tool_env)
    check_dataset_line(proc, f'data_root {root} does not exist',
                       f'python tools/generate_proposals.py {root} {store}')


def test_missing_proposals_store(tmp_path, tool_env, val_images):
    store = str(tmp_path / 'no_store')
    proc = run_train([CONFIG, '--work-dir', str(tmp_path / 'work'),
                      *dataset_options(val_images, store)], tool_env)
    check_dataset_line(
        proc, f'proposals store {store} does not exist',
        f'python tools/generate_proposals.py {val_images} {store}')


def test_store_of_another_image_set(tmp_path, tool_env, val_images):
    from mmsoco.proposals import write_store
    other = write_store(str(tmp_path / 'other'), ['a/b.jpg', 'c.jpg'],
                        [np.array([[0, 0, 9, 9]], np.float32)] * 2)
    n = len(glob.glob(osp.join(val_images, '*.jpg')))
    proc = run_train([CONFIG, '--work-dir', str(tmp_path / 'work'),
                      *dataset_options(val_images, other)], tool_env)
    # the other image set's store is never suggested as the output
    new = f'{val_images}_proposals'
    check_dataset_line(proc, f'proposals store {other} does not match',
                       f'0 of {n} found',
                       f'python tools/generate_proposals.py {val_images} '
                       f'{new},',
                       f'train_dataloader.dataset.proposals={new}')
    assert f'{val_images} {other}' not in proc.stderr
    assert '--overwrite' not in proc.stderr


def test_damaged_store(tmp_path, tool_env, val_images):
    """A truncated boxes.npy: the dataset's one line naming the file and the
    command that remakes the store, not a traceback."""
    from mmsoco.proposals import write_store
    keys = sorted(osp.basename(p) for p in glob.glob(
        osp.join(val_images, '*.jpg')))
    store = write_store(str(tmp_path / 'store'), keys,
                        [np.array([[0, 0, 9, 9]], np.float32)] * len(keys))
    with open(osp.join(store, 'boxes.npy'), 'r+b') as f:
        f.truncate(130)
    proc = run_train([CONFIG, '--work-dir', str(tmp_path / 'work'),
                      *dataset_options(val_images, store)], tool_env)
    check_dataset_line(proc, f'proposals store file {store}/boxes.npy is '
                       'not a readable .npy array',
                       f'python tools/generate_proposals.py {val_images} '
                       f'{store} --overwrite')


def train_tool():
    return load_script(TRAIN, 'mmsoco_train_tool')


@pytest.mark.parametrize('options, amp', [
    ([], False),
    (['--cfg-options', 'use_amp=True'], True),
    (['--amp'], True),
])
def test_amp_switch_in_the_config(options, amp):
    import torch
    train = train_tool()
    from mmsoco.engine.train_config import load_config
    cfg = load_config(train.parse_args([osp.join(REPO, CONFIG), *options]))
    expected = ('OptimWrapper' if not amp else 'AmpOptimWrapper'
                if torch.cuda.is_available() else 'CPUAmpOptimWrapper')
    assert cfg.optim_wrapper.type == expected
    # the LARS recipe is kept
    assert cfg.optim_wrapper.constructor == 'LARSOptimWrapperConstructor'
    assert cfg.optim_wrapper.optimizer.type == 'SoCoLARS'
