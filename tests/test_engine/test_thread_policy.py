"""The thread policy applied to a training config: the main process and
the dataloader workers mmengine's Runner starts get the chosen counts, and
the workers are seeded as mmengine's own worker_init_fn seeds them."""
import os

import numpy as np
import pytest
import torch
from mmengine.config import Config
from mmengine.runner import Runner
from torch.utils.data import Dataset

from mmsoco.engine.thread_policy import configure_threads
from mmsoco.utils.threads import ThreadSettingError


class ThreadProbe(Dataset):
    """Each item: the process, its thread counts and a numpy draw."""

    def __len__(self):
        return 4

    def __getitem__(self, index):
        import cv2
        return dict(pid=os.getpid(), torch=torch.get_num_threads(),
                    opencv=cv2.getNumThreads(),
                    draw=int(np.random.randint(2**30)))


def training_cfg(workers, seed=5):
    return Config(dict(
        randomness=dict(seed=seed, diff_rank_seed=False),
        env_cfg=dict(mp_cfg=dict(mp_start_method='fork',
                                 opencv_num_threads=0)),
        train_dataloader=dict(
            batch_size=1, num_workers=workers, persistent_workers=False,
            sampler=dict(type='DefaultSampler', shuffle=False),
            collate_fn=dict(type='pseudo_collate'),
            dataset=ThreadProbe())))


@pytest.fixture
def keep_threads():
    import cv2
    before = torch.get_num_threads(), cv2.getNumThreads()
    yield
    torch.set_num_threads(before[0])
    cv2.setNumThreads(before[1])


def test_main_process_and_workers_get_the_chosen_threads(
        monkeypatch, keep_threads):
    import cv2
    monkeypatch.setenv('MMSOCO_NUM_THREADS', '2')
    cfg = training_cfg(workers=2)
    cv2.setNumThreads(0)  # as the Runner leaves the main process
    line = configure_threads(cfg)
    assert line.startswith('threads: 2 in the main process '
                           '(MMSOCO_NUM_THREADS=2), 2 in each of its 2 '
                           'dataloader workers')
    assert torch.get_num_threads() == 2
    assert cfg.env_cfg.mp_cfg.opencv_num_threads == 0  # off until forked
    loader = Runner.build_dataloader(cfg.train_dataloader, seed=5)
    items = [{k: v[0] for k, v in b.items()} for b in loader]
    assert {it['pid'] for it in items} - {os.getpid()}, 'no worker ran'
    for it in items:
        assert it['pid'] != os.getpid()
        assert it['opencv'] == 2  # the policy, set in the worker
        assert it['torch'] == 1  # DataLoader's, kept after a fork
    # mmengine's seeding is kept: worker w of 2 draws from seed 5 + w first
    firsts = {}
    for it in items:
        firsts.setdefault(it['pid'], it['draw'])
    expected = set()
    for worker in range(2):
        np.random.seed(5 + worker)
        expected.add(int(np.random.randint(2**30)))
    assert set(firsts.values()) == expected


def test_without_workers_the_main_process_runs_opencv(monkeypatch,
                                                      keep_threads):
    import cv2
    monkeypatch.delenv('MMSOCO_NUM_THREADS', raising=False)
    monkeypatch.setenv('OMP_NUM_THREADS', '1')
    cfg = training_cfg(workers=0)
    assert configure_threads(cfg).startswith(
        'threads: 1 (OMP_NUM_THREADS=1)')
    assert cfg.env_cfg.mp_cfg.opencv_num_threads == 1
    assert 'worker_init_fn' not in cfg.train_dataloader
    assert torch.get_num_threads() == 1 and cv2.getNumThreads() == 1


def test_main_process_counts_ranks_workers_count_everyone(
        monkeypatch, keep_threads):
    import mmsoco.utils.threads as threads
    for name in ('MMSOCO_NUM_THREADS', 'OMP_NUM_THREADS', 'LOCAL_WORLD_SIZE',
                 'SLURM_NTASKS_PER_NODE'):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(threads, 'available_cores', lambda: 6)
    cfg = training_cfg(workers=2)
    line = configure_threads(cfg)
    assert line.startswith('threads: 6 in the main process (6 cores / 1 '
                           'process), 2 in each of its 2 dataloader workers')
    assert torch.get_num_threads() == 6
    assert cfg.train_dataloader.worker_init_fn['threads'] == 2
    monkeypatch.setenv('LOCAL_WORLD_SIZE', '2')
    cfg = training_cfg(workers=2)
    assert configure_threads(cfg).startswith(
        'threads: 3 in the main process (6 cores / 2 processes), 1 in each')
    assert torch.get_num_threads() == 3
    assert cfg.train_dataloader.worker_init_fn['threads'] == 1


def test_a_config_without_env_cfg_gets_one(monkeypatch, keep_threads):
    monkeypatch.setenv('MMSOCO_NUM_THREADS', '1')
    cfg = training_cfg(workers=0)
    cfg = Config({k: v for k, v in cfg.to_dict().items() if k != 'env_cfg'})
    configure_threads(cfg)
    assert cfg.env_cfg.mp_cfg.opencv_num_threads == 1


def test_a_config_worker_init_fn_is_left_alone(monkeypatch, keep_threads):
    monkeypatch.setenv('MMSOCO_NUM_THREADS', '1')
    cfg = training_cfg(workers=2)
    cfg.train_dataloader.worker_init_fn = dict(type='mine')
    configure_threads(cfg)
    assert cfg.train_dataloader.worker_init_fn == dict(type='mine')


def test_bad_setting_stops_before_anything_is_applied(monkeypatch):
    monkeypatch.setenv('MMSOCO_NUM_THREADS', 'all')
    threads = torch.get_num_threads()
    with pytest.raises(ThreadSettingError):
        configure_threads(training_cfg(workers=2))
    assert torch.get_num_threads() == threads
