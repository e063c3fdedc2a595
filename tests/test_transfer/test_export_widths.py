"""detector_widths reads a detector's widths from an FPN export's shapes
and refuses exports it cannot size."""
import pytest
import torch

from mmsoco.transfer import Export, ExportError, detector_widths


def fpn_export(base=16, fpn=32, conv=24, fc=48, blocks=(2, 2, 2, 2),
               bottleneck=False) -> Export:
    sd = {'backbone.conv1.weight': torch.zeros(base, 3, 7, 7)}
    expansion = 4 if bottleneck else 1
    for s, n in enumerate(blocks, 1):
        for b in range(n):
            sd[f'backbone.layer{s}.{b}.conv1.weight'] = torch.zeros(1)
            if bottleneck:
                sd[f'backbone.layer{s}.{b}.conv3.weight'] = torch.zeros(1)
        sd[f'neck.lateral_convs.{s - 1}.conv.weight'] = torch.zeros(
            fpn, base * 2**(s - 1) * expansion, 1, 1)
    sd['roi_head.bbox_head.shared_convs.0.conv.weight'] = torch.zeros(
        conv, fpn, 3, 3)
    sd['roi_head.bbox_head.shared_fcs.0.weight'] = torch.zeros(
        fc, conv * 49)
    return Export(arch='fpn', state_dict=sd,
                  modules=('backbone', 'neck', 'roi_head.bbox_head'))


def test_widths_of_a_shrunk_r18():
    w = detector_widths(fpn_export())
    assert w['backbone'] == dict(depth=18, base_channels=16,
                                 stem_channels=16)
    assert w['neck'] == dict(in_channels=[16, 32, 64, 128], out_channels=32)
    assert w['rpn_head'] == dict(in_channels=32, feat_channels=32)
    assert w['roi_head']['bbox_roi_extractor'] == dict(out_channels=32)
    assert w['roi_head']['bbox_head'] == dict(
        in_channels=32, conv_out_channels=24, fc_out_channels=48)


def test_widths_of_r50():
    w = detector_widths(fpn_export(base=64, fpn=256, blocks=(3, 4, 6, 3),
                                   bottleneck=True))
    assert w['backbone']['depth'] == 50
    assert w['neck']['in_channels'] == [256, 512, 1024, 2048]


def test_refusals():
    e = fpn_export()
    with pytest.raises(ExportError, match='FPN'):
        detector_widths(Export(arch='c4', state_dict=e.state_dict,
                               modules=e.modules))
    del e.state_dict['roi_head.bbox_head.shared_fcs.0.weight']
    with pytest.raises(ExportError, match='shared_fcs'):
        detector_widths(e)
    with pytest.raises(ExportError, match='blocks per stage'):
        detector_widths(fpn_export(blocks=(2, 2, 3, 2)))
