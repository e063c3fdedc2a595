"""Annotation converters to COCO JSON: VIA 2.x, labelme and YOLO.

One module per format reads it into the shared
:class:`~.coco_builder.CocoBuilder`, which checks the objects against the
images and writes the COCO file atomically. Used by
``tools/dataset_converters/{via,labelme,yolo}2coco.py``; bad input raises
:class:`ConversionError` with one line naming the file and the fix.
"""
from typing import Optional

from .coco_builder import CocoBuilder, ConversionError, summary
from .formats import LABELME, VIA, YOLO, other_format_hint
from .labelme import convert_labelme
from .via import convert_via
from .yolo import convert_yolo


def run_converter(convert, out: str, overwrite: bool = False,
                  description: str = '', source: Optional[str] = None,
                  expected: Optional[str] = None) -> int:
    """What the converter tools do: ``convert()`` -> CocoBuilder, write it
    to ``out``, print one summary line; a ConversionError is printed as
    one ``error:`` line on stderr (exit status 2). ``source`` holding
    another tool's annotations than ``expected`` (a format of
    :mod:`.formats`) is refused first, naming the converter that reads
    them."""
    import sys
    hint = other_format_hint(source, expected) if source and expected \
        else None
    if hint:
        print(f'error: {hint}', file=sys.stderr)
        return 2
    try:
        coco = convert().write(out, overwrite, description)
    except ConversionError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    print(summary(coco, out))
    return 0


__all__ = ['CocoBuilder', 'ConversionError', 'LABELME', 'VIA', 'YOLO',
           'convert_labelme', 'other_format_hint',
           'convert_via', 'convert_yolo', 'run_converter', 'summary']
