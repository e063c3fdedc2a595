"""Train (pretrain or fine-tune) from an mm-style config.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [PATH]] [--amp]
                                 [--iters N | --epochs N] [--tensorboard]
                                 [--cfg-options k=v ...]
                                 [--launcher none|pytorch|slurm]

``--iters`` / ``--epochs`` rescale the whole run (schedule, checkpoint and
log intervals: mmsoco/engine/run_length.py); config mistakes and Ctrl-C
give one line (mmsoco/engine/train_run.py). See docs/training.md and
docs/reliability.md.

Multi-process: ``tools/dist_train.sh`` (torchrun) and ``tools/slurm_train.sh``
(srun) call this with ``--launcher pytorch|slurm``. Without CUDA the process
group uses gloo (see mmsoco/compat.py).
"""
import argparse
import os
import sys


class _CfgOptions(argparse.Action):
    """``--cfg-options k=v ...``: mmengine's DictAction, with a pair
    without '=' refused in one line."""

    def __call__(self, parser, namespace, values, option_string=None):
        for kv in values:
            if '=' not in kv or kv.startswith('='):
                parser.exit(2, f'error: --cfg-options expects key=value '
                            f'pairs, got {kv!r} (e.g. --cfg-options '
                            'train_cfg.max_iters=10)\n')
        from mmengine.config import DictAction
        DictAction(self.option_strings, self.dest)(parser, namespace, values,
                                                   option_string)


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train with mmsoco')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go '
                        '(default: work_dirs/<config name>)')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from PATH, or, without a value, from the newest '
        'complete checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision (fp16 with loss '
                        'scaling on CUDA, bf16 autocast on the CPU)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=_CfgOptions, default={},
        help='override config keys, e.g. train_cfg.max_iters=10; every key '
        'must already exist in the config')
    length = parser.add_mutually_exclusive_group()
    length.add_argument('--iters', type=int, metavar='N',
                        help='train N iterations: the whole schedule '
                        '(warm-up, cosine, checkpoint and log intervals) is '
                        'rescaled to this length')
    length.add_argument('--epochs', type=int, metavar='N',
                        help='train N epochs, schedule rescaled likewise')
    parser.add_argument('--tensorboard', action='store_true',
                        help='also log to TensorBoard (work_dir/<run>/'
                        'vis_data); needs the tensorboard package')
    parser.add_argument('--launcher', default='none',
                        help='none | pytorch | slurm')
    # torchrun < 2.0 passes --local-rank; keep accepting it.
    parser.add_argument('--local_rank', '--local-rank', type=int, default=0)
    args = parser.parse_args(argv)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def main(argv=None):
    from mmsoco.utils.threads import passive_wait
    passive_wait()  # first: before anything loads torch (utils/threads.py)
    argv = sys.argv[1:] if argv is None else list(argv)
    args = parse_args(argv)
    from mmsoco.engine.train_run import run_training
    run_training(args, argv)


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:  # before training started (imports, config)
        print('interrupted before training started: nothing to resume; '
              'rerun the same command', file=sys.stderr)
        sys.exit(130)
