"""Command-line options that several tools and benchmarks share. Importing
this module loads neither torch nor mmengine (tools parse their options
before the thread policy lets torch load)."""
from argparse import ArgumentParser
from typing import Optional


def add_pretraining_options(parser: ArgumentParser, iters: int,
                            batch: Optional[int] = None,
                            prefix: str = 'pretrain-',
                            note: str = '') -> None:
    """``--<prefix>iters`` (default ``iters``) and, given a default
    ``batch``, ``--<prefix>batch``: the length and batch of a pretraining
    run. ``note`` ends the iterations' help."""
    parser.add_argument(
        f'--{prefix}iters', type=int, default=iters,
        help='pretraining iterations: the whole run rescaled to this length, '
        'as tools/train.py --iters does' + note)
    if batch is not None:
        parser.add_argument(f'--{prefix}batch', type=int, default=batch,
                            help='pretraining batch (the LR follows it by '
                            "the recipe's rule)")
