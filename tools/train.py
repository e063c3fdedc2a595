"""Train (pretrain or fine-tune) from an mm-style config.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [PATH]] [--amp]
                                 [--iters N | --epochs N] [--tensorboard]
                                 [--cfg-options k=v ...]
                                 [--launcher none|pytorch|slurm]

``--iters`` / ``--epochs`` rescale the whole run (schedule, checkpoint and
log intervals: mmsoco/engine/run_length.py); config mistakes (unknown types
or arguments, --cfg-options that drive nothing) and Ctrl-C give one line.
See docs/training.md.

Multi-process: ``tools/dist_train.sh`` (torchrun) and ``tools/slurm_train.sh``
(srun) call this with ``--launcher pytorch|slurm``. Without CUDA the process
group uses gloo (see mmsoco/compat.py).
"""
import argparse
import os
import os.path as osp
import shlex
import sys

LAUNCHERS = ('none', 'pytorch', 'slurm')


class UsageError(Exception):
    """A mistake in the command line or config, reported in one line."""


# What each multi-process launcher reads from the environment, and where
# that environment comes from.
LAUNCHER_ENV = {
    'pytorch': (('RANK', 'WORLD_SIZE', 'MASTER_ADDR', 'MASTER_PORT'),
                'start it with tools/dist_train.sh CONFIG NPROC (torchrun)'),
    'slurm': (('SLURM_PROCID', 'SLURM_NTASKS', 'SLURM_NODELIST'),
              'start it with tools/slurm_train.sh (srun)'),
}


def _cfg_options_action():
    from mmengine.config import DictAction

    class CfgOptionsAction(DictAction):
        """mmengine's DictAction, but ``foo`` without '=' is a usage error
        instead of a ValueError from deep inside argparse."""

        def __call__(self, parser, namespace, values, option_string=None):
            for kv in values:
                if '=' not in kv or kv.startswith('='):
                    raise UsageError(
                        f'--cfg-options expects key=value pairs, got {kv!r}'
                        ' (e.g. --cfg-options train_cfg.max_iters=10)')
            super().__call__(parser, namespace, values, option_string)

    return CfgOptionsAction


def check_launcher_env(launcher, environ=None):
    """A multi-process launcher outside its launch tool fails in mmengine
    with a KeyError; say what is missing and how to start it instead."""
    environ = os.environ if environ is None else environ
    if launcher not in LAUNCHER_ENV:
        return
    names, how = LAUNCHER_ENV[launcher]
    missing = [n for n in names if n not in environ]
    if missing:
        raise UsageError(
            f'--launcher {launcher} needs {", ".join(missing)} in the '
            f'environment, which is not set: {how}, or use --launcher none '
            'for one process')


def parse_args(argv=None):
    parser = argparse.ArgumentParser(description='Train with mmsoco')
    parser.add_argument('config', help='config file path')
    parser.add_argument('--work-dir', help='where logs and checkpoints go '
                        '(default: work_dirs/<config name>)')
    parser.add_argument(
        '--resume', nargs='?', type=str, const='auto',
        help='resume from PATH, or, without a value, from the latest '
        'checkpoint in the work dir')
    parser.add_argument('--amp', action='store_true',
                        help='automatic mixed precision (fp16 with loss '
                        'scaling on CUDA, bf16 autocast on the CPU)')
    parser.add_argument(
        '--cfg-options', nargs='+', action=_cfg_options_action(), default={},
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
    if args.launcher not in LAUNCHERS:
        raise UsageError(f'unknown --launcher {args.launcher!r}: choose one '
                         f'of {", ".join(LAUNCHERS)}')
    check_launcher_env(args.launcher)
    os.environ.setdefault('LOCAL_RANK', str(args.local_rank))
    return args


def load_config(args):
    from mmengine.config import Config

    from mmsoco.engine.run_length import fit_schedule_to_run, set_run_length
    from mmsoco.utils.cfg_options import check_cfg_options
    from mmsoco.utils.config_check import check_config
    if not osp.isfile(args.config):
        raise UsageError(f'config file {args.config!r} not found; configs '
                         'live under configs/, e.g. configs/soco_r50_fpn.py')
    try:
        cfg = Config.fromfile(args.config)
    except Exception as e:  # syntax errors, missing _base_ files ...
        raise UsageError(f'cannot read config {args.config!r}: '
                         f'{type(e).__name__}: {e}') from e
    check_cfg_options(cfg, args.cfg_options)
    cfg.merge_from_dict(args.cfg_options)
    if args.iters is not None or args.epochs is not None:
        print(set_run_length(cfg, iters=args.iters, epochs=args.epochs))
    else:
        fitted = fit_schedule_to_run(cfg)
        if fitted:
            print(fitted)
    cfg.launcher = args.launcher
    cfg.work_dir = args.work_dir or cfg.get('work_dir') or osp.join(
        'work_dirs', osp.splitext(osp.basename(args.config))[0])
    if args.amp or cfg.get('use_amp', False):  # the flag or the config
        enable_amp(cfg)
    if args.resume == 'auto':
        cfg.resume, cfg.load_from = True, None
    elif args.resume is not None:
        if not osp.isfile(args.resume):
            raise UsageError(f'--resume checkpoint {args.resume!r} not found')
        cfg.resume, cfg.load_from = True, args.resume
    if args.tensorboard:
        add_tensorboard(cfg)
    check_config(cfg)  # unknown types / arguments, before building anything
    return cfg


def add_tensorboard(cfg):
    """mmengine's TensorboardVisBackend next to the config's backends."""
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        print('warning: --tensorboard: the tensorboard package is not '
              'installed (pip install tensorboard); logging to files only',
              file=sys.stderr)
        return
    vis = cfg.get('visualizer') or dict(type='Visualizer')
    backends = list(vis.get('vis_backends') or
                    [dict(type='LocalVisBackend')])
    if not any('TensorboardVisBackend' in str(b.get('type'))
               for b in backends):
        backends.append(dict(type='TensorboardVisBackend'))
    vis['vis_backends'] = backends
    cfg.visualizer = vis


def resume_advice(args, cfg) -> str:
    """What to run to continue an interrupted run."""
    argv, skip = [], False
    for i, arg in enumerate(args.argv):
        if skip:
            skip = False
            continue
        if arg == '--resume':  # drop it and its PATH, if any
            nxt = args.argv[i + 1] if i + 1 < len(args.argv) else ''
            skip = bool(nxt) and not nxt.startswith('-') and \
                osp.isfile(nxt)
            continue
        if arg.startswith('--resume='):
            continue
        argv.append(arg)
    command = shlex.join(['python', 'tools/train.py', *argv, '--resume'])
    if args.launcher != 'none':  # started by dist_train.sh / slurm_train.sh
        script = ('tools/dist_train.sh' if args.launcher == 'pytorch' else
                  'tools/slurm_train.sh')
        command = f'{script} with the same arguments and --resume'
    last = osp.join(cfg.work_dir, 'last_checkpoint')
    if osp.isfile(last):
        with open(last) as f:
            checkpoint = f.read().strip()
        return f'resume from {checkpoint} with: {command}'
    return (f'no checkpoint saved yet in {cfg.work_dir}; rerun the same '
            'command to start again')


def enable_amp(cfg):
    """fp16 with dynamic loss scaling on CUDA, bf16 autocast on the CPU."""
    import torch
    wrapper = cfg.optim_wrapper.get('type', 'OptimWrapper')
    amp_wrappers = ('AmpOptimWrapper', 'CPUAmpOptimWrapper')
    if wrapper not in ('OptimWrapper', ) + amp_wrappers:
        raise UsageError(f'--amp needs optim_wrapper.type OptimWrapper, '
                         f'the config has {wrapper!r}')
    if torch.cuda.is_available():
        cfg.optim_wrapper.type = 'AmpOptimWrapper'
        cfg.optim_wrapper.setdefault('loss_scale', 'dynamic')
    else:
        cfg.optim_wrapper.type = 'CPUAmpOptimWrapper'
        cfg.optim_wrapper.pop('loss_scale', None)


def main(argv=None):
    argv = sys.argv[1:] if argv is None else list(argv)
    try:
        args = parse_args(argv)
        args.argv = argv
        import mmsoco  # noqa: F401  (applies the stack's compat patches)
        from mmsoco.engine.run_length import ScheduleError
        from mmsoco.engine.thread_policy import configure_threads
        from mmsoco.utils.config_check import ConfigKeyError
        from mmsoco.utils.threads import ThreadSettingError
        try:
            cfg = load_config(args)
            print(configure_threads(cfg))  # mmsoco/utils/threads.py
        except (ConfigKeyError, ScheduleError, ThreadSettingError) as e:
            raise UsageError(str(e)) from e
    except UsageError as e:
        sys.exit(f'error: {e}')
    from mmsoco.utils.interrupt import exit_on_interrupt
    try:
        with exit_on_interrupt(lambda: resume_advice(args, cfg)):
            train(cfg)
    finally:
        close_process_group()


def train(cfg):
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    from mmsoco.datasets.errors import (DatasetConfigError,
                                        dataset_error_message)
    from mmsoco.engine.hooks import QueueTooShortError
    from mmsoco.transfer import ExportError, TransferMismatchError
    from mmsoco.utils.build_errors import build_error_message
    try:
        runner = (Runner.from_cfg(cfg) if 'runner_type' not in cfg else
                  RUNNERS.build(cfg))
        runner.train()  # builds the dataset, initialises the weights
    except DatasetConfigError as e:  # bad data root / proposals store
        sys.exit(f'error: {dataset_error_message(e)}')
    except (ExportError, TransferMismatchError,  # pretrained file
            QueueTooShortError) as e:  # InsLoc queue vs global batch
        sys.exit(f'error: {e}')
    except (KeyError, TypeError) as e:  # a type or argument mmengine refused
        message = build_error_message(e, cfg)
        if message is None:
            raise
        sys.exit(f'error: {message}')


def close_process_group():
    """Tear the process group down before the interpreter exits: gloo's
    threads otherwise race interpreter shutdown and can abort the process
    ("terminate called without an active exception") after training
    finished."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


if __name__ == '__main__':
    try:
        main()
    except KeyboardInterrupt:  # before training started (imports, config)
        print('interrupted before training started: nothing to resume; '
              'rerun the same command', file=sys.stderr)
        sys.exit(130)
