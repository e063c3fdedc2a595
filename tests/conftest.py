import os
import os.path as osp
import socket
import sys

import pytest

REPO = osp.dirname(osp.dirname(osp.abspath(__file__)))
COCO_TINY = osp.join(osp.dirname(REPO), 'shared', 'data', 'coco_tiny')


def free_port() -> int:
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0))
        return s.getsockname()[1]


@pytest.fixture
def tool_env():
    """Environment for running the repo's tools in a subprocess."""
    env = dict(os.environ)
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    env['PYTHON'] = sys.executable
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env['PATH']
    env.setdefault('OMP_NUM_THREADS', '1')
    return env


@pytest.fixture(scope='session')
def coco_tiny():
    if not osp.isdir(COCO_TINY):
        pytest.skip(f'coco_tiny not found at {COCO_TINY}')
    return COCO_TINY


@pytest.fixture(autouse=True)
def mmsoco_default_scope():
    """Every test starts in mmsoco's registry scope, whatever scope the test
    before it left (tests of stock mmdet models switch to 'mmdet' inside)."""
    from mmengine.registry import init_default_scope
    init_default_scope('mmsoco')


@pytest.fixture
def one_thread():
    """One intra-op thread (request it, or mark a module with
    ``pytestmark = pytest.mark.usefixtures('one_thread')``): on 2 cores shared
    with other jobs, OpenMP threads spin-waiting for a busy core made a tiny
    SoCo step up to 100x slower (measured: 30 s instead of 0.3 s)."""
    import torch
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture
def quiet_init():
    """init_weights logs every parameter at INFO: keep the output short."""
    from mmengine.logging import MMLogger
    logger = MMLogger.get_current_instance()
    level = logger.level
    logger.setLevel('WARNING')
    yield
    logger.setLevel(level)
