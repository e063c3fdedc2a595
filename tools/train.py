"""Train (pretrain or fine-tune) from an mm-style config.

    python tools/train.py CONFIG [--work-dir DIR] [--resume [PATH]] [--amp]
                                 [--cfg-options k=v ...]
                                 [--launcher none|pytorch|slurm]

Multi-process: ``tools/dist_train.sh`` (torchrun) and ``tools/slurm_train.sh``
(srun) call this with ``--launcher pytorch|slurm``. Without CUDA the process
group uses gloo (see mmsoco/compat.py).
"""
import argparse
import os
import os.path as osp
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


def check_cfg_options(cfg, options):
    """Refuse overrides of keys the config does not have.

    mmengine silently creates unknown keys, so a typo such as
    ``train_cfg.max_iter=10`` would be ignored; here it stops the run.
    """
    for dotted in options:
        node, walked = cfg, []
        for part in dotted.split('.'):
            walked.append(part)
            if isinstance(node, (list, tuple)) and part.isdigit() \
                    and int(part) < len(node):
                node = node[int(part)]
            elif hasattr(node, 'keys') and part in node:
                node = node[part]
            else:
                raise UsageError(
                    f'--cfg-options key {dotted!r} does not exist in the '
                    f'config ({".".join(walked)!r} not found); check the '
                    'spelling with `python -c "from mmengine import Config; '
                    f'print(Config.fromfile(\'{cfg.filename}\').pretty_text)"`')


def load_config(args):
    from mmengine.config import Config
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
    return cfg


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
    try:
        args = parse_args(argv)
        import mmsoco  # noqa: F401  (applies the stack's compat patches)
        cfg = load_config(args)
    except UsageError as e:
        sys.exit(f'error: {e}')
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner
    runner = (Runner.from_cfg(cfg) if 'runner_type' not in cfg else
              RUNNERS.build(cfg))
    from mmsoco.datasets.errors import (DatasetConfigError,
                                        dataset_error_message)
    from mmsoco.engine.hooks import QueueTooShortError
    from mmsoco.transfer import ExportError, TransferMismatchError
    try:
        runner.train()  # builds the dataset, initialises the weights
    except DatasetConfigError as e:  # bad data root / proposals store
        sys.exit(f'error: {dataset_error_message(e)}')
    except (ExportError, TransferMismatchError,  # pretrained file
            QueueTooShortError) as e:  # InsLoc queue vs global batch
        sys.exit(f'error: {e}')
    finally:
        close_process_group()


def close_process_group():
    """Tear the process group down before the interpreter exits: gloo's
    threads otherwise race interpreter shutdown and can abort the process
    ("terminate called without an active exception") after training
    finished."""
    import torch.distributed as dist
    if dist.is_available() and dist.is_initialized():
        dist.destroy_process_group()


if __name__ == '__main__':
    main()
