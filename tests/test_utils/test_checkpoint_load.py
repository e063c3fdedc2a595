"""mmsoco.utils.checkpoint_load: checkpoints load as weights only, and a
checkpoint carrying a pickled payload runs nothing on any of mmsoco's load
paths (mmengine's resume / load_from / Pretrained loader, the export's
input and output check, the probe, the transfer chain)."""
import os.path as osp

import numpy as np
import pytest
import torch

import mmsoco  # noqa: F401  (installs the loader in mmengine)
from mmsoco.utils.checkpoint_load import (CheckpointFileError,
                                          load_checkpoint_file,
                                          looks_like_checkpoint)

from ..helpers import PAYLOAD_TYPE, write_payload_checkpoint


@pytest.fixture
def payload(tmp_path):
    marker = tmp_path / 'payload-ran'
    path = write_payload_checkpoint(tmp_path / 'iter_3.pth', marker)
    return path, marker


def test_payload_is_refused_naming_the_type(payload):
    path, marker = payload
    with pytest.raises(CheckpointFileError) as info:
        load_checkpoint_file(path)
    message = str(info.value)
    assert PAYLOAD_TYPE in message and path in message
    assert len(message.splitlines()) == 1
    assert not marker.exists()


def test_mmengine_checkpoint_types_load(tmp_path):
    """The message hub's HistoryBuffer, numpy arrays, scalars and dtypes."""
    from mmengine.logging import MessageHub
    hub = MessageHub.get_instance('checkpoint-load-test')
    hub.update_scalar('train/loss', 0.5)
    hub.update_info('keep_ckpt_ids', [1, 2])
    path = str(tmp_path / 'c.pth')
    torch.save(dict(meta=dict(seed=np.int64(7), ratio=np.float32(0.5),
                              dtype=np.dtype('float16'),
                              table=np.arange(3)),
                    message_hub=hub.state_dict(),
                    state_dict=dict(w=torch.ones(1))), path)
    ckpt = load_checkpoint_file(path)
    assert ckpt['meta']['seed'] == 7 and ckpt['meta']['dtype'] == np.float16
    assert ckpt['meta']['table'].tolist() == [0, 1, 2]
    loss = ckpt['message_hub']['log_scalars']['train/loss']
    assert loss.current() == 0.5


class AttributeGrab:
    """Unpickling it calls ``getattr(HistoryBuffer, '__init__')``: the
    one getattr a checkpoint may use, asked for something else."""

    def __reduce__(self):
        from mmengine.logging.history_buffer import HistoryBuffer
        return (getattr, (HistoryBuffer, '__init__'))


def test_getattr_gives_only_history_buffer_statistics(tmp_path):
    path = str(tmp_path / 'grab.pth')
    torch.save(dict(meta=dict(x=AttributeGrab())), path)
    with pytest.raises(CheckpointFileError,
                       match=r"getattr\('HistoryBuffer', '__init__'\)"):
        load_checkpoint_file(path)


@pytest.mark.parametrize('content, needle', [
    (b'', 'not a PyTorch checkpoint'),
    (b'hello, not a checkpoint', 'not a PyTorch checkpoint'),
])
def test_not_a_checkpoint(tmp_path, content, needle):
    path = tmp_path / 'x.pth'
    path.write_bytes(content)
    assert not looks_like_checkpoint(str(path))
    with pytest.raises(CheckpointFileError, match=needle):
        load_checkpoint_file(str(path))


def test_truncated_checkpoint(tmp_path):
    path = tmp_path / 'x.pth'
    torch.save(dict(w=torch.ones(1000)), str(path))
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])
    with pytest.raises(CheckpointFileError, match='not a'):
        load_checkpoint_file(str(path))


def test_mmengine_loader_refuses_the_payload(payload):
    """--resume, load_from and init_cfg=Pretrained load through it."""
    from mmengine.model import BaseModule
    from mmengine.runner.checkpoint import _load_checkpoint
    path, marker = payload
    with pytest.raises(CheckpointFileError, match=PAYLOAD_TYPE):
        _load_checkpoint(path, map_location='cpu')

    class Net(BaseModule):

        def __init__(self):
            super().__init__(
                init_cfg=dict(type='Pretrained', checkpoint=path))
            self.weight = torch.nn.Parameter(torch.zeros(2))

    with pytest.raises(CheckpointFileError, match=PAYLOAD_TYPE):
        Net().init_weights()
    assert not marker.exists()


def test_export_paths_refuse_the_payload(payload, tmp_path):
    from mmsoco.transfer import (ExportError, check_export_target,
                                 export_checkpoint, load_export)
    from mmsoco.transfer.chain import export
    path, marker = payload
    for load in (export_checkpoint, load_export):
        with pytest.raises(ExportError, match=PAYLOAD_TYPE):
            load(path)
    with pytest.raises(ExportError, match=PAYLOAD_TYPE):
        export(path, str(tmp_path / 'out.pth'))  # the chain's export step
    # an existing file at the output path is checked without running it
    check_export_target(path, source=str(tmp_path / 'other.pth'))
    assert not marker.exists()


def test_probe_refuses_the_payload(payload):
    from mmsoco.evaluation import ProbeInputError, load_probe_net
    path, marker = payload
    with pytest.raises(ProbeInputError, match=PAYLOAD_TYPE):
        load_probe_net(path)
    assert not marker.exists()
    assert osp.isfile(path)
