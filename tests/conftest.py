import os
import os.path as osp
import shutil
import subprocess
import sys

import numpy as np
import pytest

from mmsoco.utils.coco_tiny import (COCO_LAYOUT, COCO_TINY_ENV, coco_tiny_root,
                                    missing_coco_layout)
from tests.helpers import REPO, free_port

# coco_tiny (a few COCO images with their annotations) lives outside the
# repository: MMSOCO_COCO_TINY names it, else ../shared/data/coco_tiny next
# to the checkout. Only the `coco_tiny` fixture below reads it.
COCO_TINY = coco_tiny_root()


def slurm_unavailable_reason():
    """Why tools/local_slurm.sh cannot start a cluster here (None: it can)."""
    if os.geteuid() != 0:
        return 'starting slurmd and munged needs root'
    missing = [b for b in ('slurmctld', 'slurmd', 'munged', 'srun')
               if shutil.which(b) is None]
    if missing:
        return (f'{", ".join(missing)} not installed '
                '(apt-get install slurm-wlm munge)')
    return None


@pytest.fixture
def slurm_cluster(tmp_path_factory):
    """A real single-node Slurm (partition 'local') on loopback, started by
    tools/local_slurm.sh for one test and stopped after it; yields the
    SLURM_CONF path to put in the launcher's environment."""
    reason = slurm_unavailable_reason()
    if reason:
        pytest.skip(reason)
    local_slurm = osp.join(REPO, 'tools', 'local_slurm.sh')
    state = str(tmp_path_factory.mktemp('slurm'))
    env = dict(os.environ, SLURMCTLD_PORT=str(free_port()),
               SLURMD_PORT=str(free_port()))
    # local_slurm.sh gives the node $(nproc) CPUs, and GNU nproc obeys
    # OMP_NUM_THREADS: with OMP_NUM_THREADS=1 the node had 1 CPU and a
    # 2-task job stayed pending forever (reason PartitionConfig)
    for name in ('OMP_NUM_THREADS', 'OMP_THREAD_LIMIT'):
        env.pop(name, None)
    started = subprocess.run(['bash', local_slurm, 'start', state], env=env,
                             capture_output=True, text=True, timeout=120)
    try:
        if started.returncode != 0:
            pytest.fail('local Slurm did not start: ' + started.stderr[-2000:])
        yield osp.join(state, 'slurm.conf')
    finally:
        subprocess.run(['bash', local_slurm, 'stop', state], timeout=60)


@pytest.fixture
def tool_env():
    """Environment for running the repo's tools in a subprocess."""
    env = dict(os.environ)
    # the tests package importable: the toy model (tests/dist_toy) is
    # loaded by its config's custom_imports; mmsoco itself is installed
    env['PYTHONPATH'] = REPO + os.pathsep + env.get('PYTHONPATH', '')
    env['PYTHON'] = sys.executable
    env['PATH'] = osp.dirname(sys.executable) + os.pathsep + env['PATH']
    env.setdefault('OMP_NUM_THREADS', '1')
    return env


def coco_tiny_missing(root: str = COCO_TINY):
    """Why coco_tiny at ``root`` cannot be used (None when it can)."""
    missing = missing_coco_layout(root)
    if not missing:
        return None
    what = ('not found' if not osp.isdir(root) else
            f'lacks {", ".join(d + "/" for d in missing)}')
    return (f'coco_tiny {what} at {root}: set {COCO_TINY_ENV}=/path/to/'
            f'coco_tiny, a folder holding {", ".join(COCO_LAYOUT)} '
            '(COCO 2017 layout: train2017/*.jpg, val2017/*.jpg, '
            'annotations/instances_*2017.json)')


@pytest.fixture(scope='session')
def coco_tiny():
    """Real COCO images and annotations, for the tests that need COCO itself
    (proposal recall against COCO boxes, training on COCO images); a test
    that needs photos only takes ``photo_folder``."""
    reason = coco_tiny_missing()
    if reason:
        pytest.skip(reason)
    return COCO_TINY


@pytest.fixture(scope='session')
def photo_folder(tmp_path_factory) -> str:
    """A folder of real photos the project makes itself, no download: the 12
    photographs bundled with scikit-image (mmsoco.datasets.demo.DEMO_PHOTOS:
    astronaut, camera, chelsea, coffee, ...; some greyscale), resized to at
    most 640 px and saved as ``<name>.jpg``. Read-only for the tests."""
    from mmsoco.datasets.demo import build_demo_set
    root = tmp_path_factory.mktemp('photos')
    return build_demo_set(str(root / 'demo'), with_proposals=False).image_dir


@pytest.fixture(scope='module')
def astronaut(photo_folder):
    """``photo_folder``'s astronaut as an RGB uint8 array (one per module)."""
    import cv2
    path = osp.join(photo_folder, 'astronaut.jpg')
    return cv2.cvtColor(cv2.imread(path), cv2.COLOR_BGR2RGB)


@pytest.fixture(scope='session')
def small_photo_folder(photo_folder, tmp_path_factory) -> str:
    """The first 4 photos of ``photo_folder`` shrunk to at most 160 px: a
    folder whose selective search takes seconds (for tool plumbing tests)."""
    import cv2
    dst = tmp_path_factory.mktemp('small_photos')
    for name in sorted(os.listdir(photo_folder))[:4]:
        img = cv2.imread(osp.join(photo_folder, name))
        scale = 160 / max(img.shape[:2])
        assert cv2.imwrite(str(dst / name),
                           cv2.resize(img, None, fx=scale, fy=scale,
                                      interpolation=cv2.INTER_AREA))
    return str(dst)


@pytest.fixture(scope='session')
def more_photos(photo_folder, tmp_path_factory) -> str:
    """36 real photos for tests that need more than ``photo_folder``'s 12:
    the 12 photos (``<name>.jpg``), then for each a mirrored cut of its
    central 80 % (``v1_<name>.jpg``), then a cut of its bottom-right 75 %
    shrunk by 0.8 (``v2_<name>.jpg``): sorted, the originals come first and
    no two images are pixel-identical. Made deterministically from the
    scikit-image photos; read-only."""
    import cv2
    dst = tmp_path_factory.mktemp('more_photos')
    for name in sorted(os.listdir(photo_folder)):
        shutil.copyfile(osp.join(photo_folder, name), str(dst / name))
        img = cv2.imread(osp.join(photo_folder, name))
        h, w = img.shape[:2]
        mirrored = img[h // 10:h - h // 10, w // 10:w - w // 10][:, ::-1]
        shrunk = cv2.resize(img[h // 4:, w // 4:], None, fx=0.8, fy=0.8,
                            interpolation=cv2.INTER_AREA)
        for prefix, variant in (('v1_', mirrored), ('v2_', shrunk)):
            assert cv2.imwrite(str(dst / (prefix + name)),
                               np.ascontiguousarray(variant),
                               [cv2.IMWRITE_JPEG_QUALITY, 95])
    return str(dst)


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
