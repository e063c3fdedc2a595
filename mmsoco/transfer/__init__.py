"""Transfer of mmsoco pretraining to mmdet (and detectron2) detectors."""
from mmsoco.models.shared_heads import ResLayerExtraNorm
from .check import (TransferMismatchError, TransferReport, arch_of_detector,
                    compare, load_transfer_weights)
from .convert import Export, export_map_from_meta, to_detectron2, to_mmdet
from .errors import ExportError, StageError
from .export_widths import detector_widths
from .legacy import C4, FPN, detect_arch
from .io import (check_export_target, export_checkpoint, load_export,
                 read_checkpoint, save_export)
from .pretrained_init import TransferPretrained

__all__ = [
    'C4', 'FPN', 'Export', 'ExportError', 'ResLayerExtraNorm', 'StageError',
    'TransferMismatchError', 'TransferPretrained', 'TransferReport',
    'arch_of_detector', 'check_export_target', 'compare', 'detect_arch',
    'detector_widths', 'export_checkpoint', 'export_map_from_meta',
    'load_export', 'load_transfer_weights', 'read_checkpoint', 'save_export',
    'to_detectron2', 'to_mmdet'
]
