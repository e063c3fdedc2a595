"""The body of ``tools/train.py``: config, launcher, training, and one line
(exit status 2) for every mistake; Ctrl-C says how to resume (130)."""
import os
from typing import Sequence

from .launcher import check_launcher, close_process_group, end_with_parent
from .train_errors import UsageError, fail, train_error_message


def run_training(args, argv: Sequence[str]) -> None:
    """Train from ``args`` (``tools/train.py``'s parsed command line
    ``argv``)."""
    import mmsoco  # noqa: F401  (applies the stack's compat patches)
    from mmsoco.utils.interrupt import exit_on_interrupt
    from mmsoco.utils.threads import ThreadSettingError
    from .resume import resume_advice
    from .thread_policy import configure_threads
    from .train_config import config_summary, load_config
    try:
        check_launcher(args.launcher)
        cfg = load_config(args)
        threads = configure_threads(cfg)  # mmsoco/utils/threads.py
    except (UsageError, ThreadSettingError) as e:
        fail(str(e))
    if args.launcher != 'none':  # a rank of torchrun / srun
        end_with_parent()
    if _rank() == 0:
        print(config_summary(cfg), flush=True)
        print(threads, flush=True)
    try:
        with exit_on_interrupt(
                lambda: resume_advice(argv, args.launcher, cfg.work_dir)):
            train(cfg)
    finally:
        close_process_group()


def _rank() -> int:
    """This process's rank, from the launcher's environment."""
    rank = os.environ.get('RANK', os.environ.get('SLURM_PROCID', '0'))
    return int(rank) if rank.isdigit() else 0


def train(cfg) -> None:
    """Build the runner from ``cfg`` and train; errors the user can fix
    become one line."""
    from mmengine.registry import RUNNERS
    from mmengine.runner import Runner

    from .console import quiet_runner
    try:
        if 'runner_type' in cfg:
            runner = RUNNERS.build(cfg)
        else:
            runner = quiet_runner(Runner).from_cfg(cfg)
    except Exception as e:  # noqa: BLE001  (translated or re-raised)
        _fail_or_raise(e, cfg)
    try:
        runner.train()  # builds the dataset, initialises the weights
    except Exception as e:  # noqa: BLE001
        _fail_or_raise(e, cfg)


def _fail_or_raise(exc: BaseException, cfg) -> None:
    message = train_error_message(exc, cfg)
    if message is None:
        raise exc
    fail(message)


__all__ = ['run_training', 'train']
