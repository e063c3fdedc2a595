"""Export an mmsoco pretraining checkpoint for detection fine-tuning.

    python tools/export_weights.py CHECKPOINT OUT [--format mmdet|detectron2]
                                   [--arch auto|fpn|c4] [--source online|target]

SoCo / SoCo* / InsLoc (FPN) checkpoints give ``backbone.*``, ``neck.*`` and
``roi_head.bbox_head.shared_convs.{0..3}`` / ``shared_fcs.0``; SoCoC4 and
InsLocC4 give ``backbone.*`` and ``roi_head.shared_head.layer4.*``. The
mmdet export loads with
``model.init_cfg=dict(type='mmsoco.TransferPretrained', checkpoint=OUT)``
(configs/transfer/); ``--format detectron2`` writes the .pkl layout
detectron2 loads with matching heuristics.
"""
import argparse
import sys
from collections import OrderedDict


def parse_args(argv=None):
    parser = argparse.ArgumentParser(
        description='mmsoco checkpoint -> mmdet / detectron2 weights')
    parser.add_argument('checkpoint', help='mmsoco pretraining checkpoint')
    parser.add_argument('out', help='output file (.pth for mmdet, .pkl for '
                        'detectron2)')
    parser.add_argument('--format', default='mmdet',
                        choices=['mmdet', 'detectron2'])
    parser.add_argument('--arch', default='auto', choices=['auto', 'fpn', 'c4'],
                        help='architecture the export is for; a C4 '
                        'checkpoint asked for fpn is refused')
    parser.add_argument('--source', default='online',
                        choices=['online', 'target'],
                        help='online network (paper) or its EMA target')
    return parser.parse_args(argv)


def summary_rows(export):
    """(module, tensors, parameters) per exported module, then a total."""
    rows = OrderedDict()
    for key, value in export.state_dict.items():
        mod = next((m for m in export.modules
                    if key == m or key.startswith(m + '.')), '?')
        n, p = rows.get(mod, (0, 0))
        params = 0 if key.endswith(('running_mean', 'running_var',
                                    'num_batches_tracked')) else value.numel()
        rows[mod] = (n + 1, p + params)
    return rows


def print_table(export, out, fmt, source_path):
    rows = summary_rows(export)
    width = max([len(m) for m in rows] + [len('module')])
    print(f'exported {export.source} {export.model_type or "?"} '
          f'({export.arch.upper()}) from {source_path}')
    print(f'| {"module":<{width}} | tensors | parameters |')
    print(f'|{"-" * (width + 2)}|---------|------------|')
    for mod, (n, p) in rows.items():
        print(f'| {mod:<{width}} | {n:>7} | {p:>10,} |')
    total_n = sum(n for n, _ in rows.values())
    total_p = sum(p for _, p in rows.values())
    print(f'| {"total":<{width}} | {total_n:>7} | {total_p:>10,} |')
    if export.dropped:
        heads = sorted({k.split('.')[0] for k in export.dropped})
        print(f'not exported: {len(export.dropped)} tensors of '
              f'{", ".join(heads)} (pretraining-only modules)')
    print(f'wrote {out} ({fmt})')


def main(argv=None):
    args = parse_args(argv)
    import mmsoco  # noqa: F401  (compat patches)
    from mmsoco.transfer import (ExportError, check_export_target,
                                 export_checkpoint, save_export)
    from mmsoco.utils.disk_full import disk_full_message
    from mmsoco.utils.interrupt import exit_on_interrupt
    want = None if args.arch == 'auto' else args.arch
    with exit_on_interrupt(f'{args.out} was not written (any earlier file '
                           'there is unchanged); rerun the same command'):
        try:
            check_export_target(args.out, args.checkpoint, args.format)
            export = export_checkpoint(args.checkpoint, want=want,
                                       source=args.source)
            save_export(export, args.out, fmt=args.format,
                        source_path=args.checkpoint)
        except ExportError as e:
            print(f'error: {e}', file=sys.stderr)
            sys.exit(2)
        except OSError as e:
            message = disk_full_message(e, args.out)
            if message is None:
                raise
            print(f'error: {message}', file=sys.stderr)
            sys.exit(2)
    print_table(export, args.out, args.format, args.checkpoint)


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:  # while Python was still importing torch
        print('interrupted: nothing was written; rerun the same command',
              file=sys.stderr)
        sys.exit(130)
