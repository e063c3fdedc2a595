"""Annotation converters to COCO JSON: VIA 2.x, labelme and YOLO.

One module per format reads it into the shared
:class:`~.coco_builder.CocoBuilder`, which checks the objects against the
images and writes the COCO file atomically. Used by
``tools/dataset_converters/{via,labelme,yolo}2coco.py``; bad input raises
:class:`ConversionError` with one line naming the file and the fix.
"""
from .coco_builder import CocoBuilder, ConversionError, summary
from .labelme import convert_labelme
from .via import convert_via
from .yolo import convert_yolo


def run_converter(convert, out: str, overwrite: bool = False,
                  description: str = '') -> int:
    """What the converter tools do: ``convert()`` -> CocoBuilder, write it
    to ``out``, print one summary line; a ConversionError is printed as
    one ``error:`` line on stderr (exit status 2)."""
    import sys
    try:
        coco = convert().write(out, overwrite, description)
    except ConversionError as e:
        print(f'error: {e}', file=sys.stderr)
        return 2
    print(summary(coco, out))
    return 0


__all__ = ['CocoBuilder', 'ConversionError', 'convert_labelme',
           'convert_via', 'convert_yolo', 'run_converter', 'summary']
