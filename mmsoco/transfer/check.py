"""Loading an export into a built detector, refusing silent partial loads.

``load_transfer_weights(model, export)`` compares the export's keys with the
model's inside the modules the export claims to fill (``Export.modules``,
e.g. ``backbone``, ``neck``, ``roi_head.bbox_head.shared_convs``): every
model tensor there must come from the export, every exported tensor must
exist in the model with the same shape. Otherwise it raises
:class:`TransferMismatchError` naming the mismatching modules (a 2fc box
head, an FPN without norm layers, a C4 export in an FPN model ...).
"""
from collections import OrderedDict
from dataclasses import dataclass, field
from typing import Dict, List, Sequence

import torch
from torch import nn

from .convert import Export


class TransferMismatchError(RuntimeError):
    """The detector's architecture differs from the exported network's."""


@dataclass
class TransferReport:
    loaded: Dict[str, int] = field(default_factory=OrderedDict)
    missing: List[str] = field(default_factory=list)
    unexpected: List[str] = field(default_factory=list)
    shape_mismatch: List[str] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not (self.missing or self.unexpected or self.shape_mismatch)

    @property
    def num_loaded(self) -> int:
        return sum(self.loaded.values())


def in_modules(key: str, modules: Sequence[str]) -> bool:
    return any(key == m or key.startswith(m + '.') for m in modules)


def module_of(key: str) -> str:
    return key.rsplit('.', 1)[0]


def _group(keys: Sequence[str], limit: int = 8) -> str:
    mods = list(OrderedDict.fromkeys(module_of(k) for k in keys))
    shown = ', '.join(mods[:limit])
    more = f' (+{len(mods) - limit} more)' if len(mods) > limit else ''
    return f'{shown}{more}'


def compare(model_state: Dict[str, torch.Tensor],
            export: Export) -> TransferReport:
    """Pure comparison of a model's state dict with an export."""
    report = TransferReport()
    for key, value in export.state_dict.items():
        if key not in model_state:
            report.unexpected.append(key)
        elif tuple(model_state[key].shape) != tuple(value.shape):
            report.shape_mismatch.append(
                f'{key} {tuple(value.shape)}->{tuple(model_state[key].shape)}'
            )
    report.missing = [k for k in model_state
                      if in_modules(k, export.modules)
                      and k not in export.state_dict]
    for mod in export.modules:
        report.loaded[mod] = sum(
            1 for k in export.state_dict
            if in_modules(k, (mod, )) and k in model_state)
    return report


def describe_mismatch(report: TransferReport, export: Export,
                      model_name: str = 'the model') -> str:
    lines = [f'the {export.arch.upper()} export ({export.model_type or "?"})'
             f' does not fit {model_name}:']
    if report.unexpected:
        lines.append(f'  not in the model ({len(report.unexpected)} '
                     f'tensors): {_group(report.unexpected)}')
    if report.missing:
        lines.append(f'  not in the export, inside the transferred modules '
                     f'({len(report.missing)} tensors): '
                     f'{_group(report.missing)}')
    if report.shape_mismatch:
        lines.append(f'  different shapes ({len(report.shape_mismatch)}): '
                     + ', '.join(report.shape_mismatch[:4]))
    lines.append(
        '  the detector must have the pretraining architecture in the '
        'transferred modules: ResNet with the same depth/widths, FPN with '
        'norm_cfg, Shared4Conv1FCBBoxHead with norm_cfg (FPN), or the res5 '
        'shared head (C4); see configs/transfer/')
    return '\n'.join(lines)


def arch_of_detector(model: nn.Module):
    """``'fpn'`` / ``'c4'`` for a two-stage mmdet detector, else None."""
    roi_head = getattr(model, 'roi_head', None)
    if getattr(roi_head, 'shared_head', None) is not None:
        return 'c4'
    if getattr(model, 'neck', None) is not None:
        return 'fpn'
    return None


def load_transfer_weights(model: nn.Module,
                          export: Export,
                          strict: bool = True,
                          logger: str = 'current') -> TransferReport:
    """Load an :class:`Export` into a built mmdet model. ``strict`` raises
    on any mismatch inside the transferred modules; otherwise the mismatch
    is logged and the fitting tensors load.

    A detector config does not call this: it names its pretrained file in
    ``init_cfg=dict(type='mmsoco.TransferPretrained', checkpoint=...)``,
    the one way mmsoco weights enter a detector (which reads the file and
    calls this)."""
    from mmengine.logging import print_log
    if not isinstance(export, Export):
        raise TypeError(
            f'load_transfer_weights takes an Export, got '
            f'{type(export).__name__}: read a file with '
            'mmsoco.transfer.load_export(path), or set the detector\'s '
            "init_cfg=dict(type='mmsoco.TransferPretrained', checkpoint=path)")
    report = compare(model.state_dict(), export)
    if not report.ok:
        message = describe_mismatch(report, export, type(model).__name__)
        if strict:
            raise TransferMismatchError(message)
        print_log(message, logger=logger, level=30)
    bad = set(report.unexpected) | {
        s.split(' ')[0] for s in report.shape_mismatch}
    fitting = {k: v for k, v in export.state_dict.items() if k not in bad}
    model.load_state_dict(fitting, strict=False)
    print_log(
        f'mmsoco transfer: loaded {len(fitting)} tensors ('
        + ', '.join(f'{m}: {n}' for m, n in report.loaded.items())
        + f') from the {export.source} {export.model_type or export.arch} '
        'network', logger=logger)
    return report
