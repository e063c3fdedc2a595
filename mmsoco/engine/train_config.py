"""The config of a ``tools/train.py`` run: read, overridden, checked and
summarised before anything is built."""
import difflib
import os
import os.path as osp
from typing import List

from .amp import enable_amp
from .resume import resume_source, set_resume
from .tensorboard import add_tensorboard
from .train_errors import UsageError


def config_files(root: str) -> List[str]:
    """Every ``.py`` config under ``root`` (``_base_`` parts left out)."""
    out = []
    for folder, dirs, files in os.walk(root):
        dirs[:] = sorted(d for d in dirs if d != '_base_')
        out += [osp.join(folder, f) for f in sorted(files)
                if f.endswith('.py')]
    return out


def missing_config_message(path: str) -> str:
    """``path`` does not exist: name the closest configs."""
    folder = osp.dirname(path) or '.'
    while folder and not osp.isdir(folder):
        folder = osp.dirname(folder)
    root = folder if folder and folder != '.' else (
        'configs' if osp.isdir('configs') else '.')
    candidates = config_files(root)
    by_name = {osp.basename(c): c for c in candidates}
    stem = osp.basename(path)
    near = difflib.get_close_matches(stem, list(by_name), n=3, cutoff=0.5)
    if near:
        return (f'config file {path!r} not found; closest: '
                f'{", ".join(by_name[n] for n in near)}')
    return (f'config file {path!r} not found; configs live under configs/, '
            'e.g. configs/soco_r50_fpn.py')


def load_config(args):
    """Config of ``args`` (``tools/train.py``'s namespace) with
    --cfg-options, run length, work dir, AMP, resume and TensorBoard
    applied; :class:`UsageError` for any mistake."""
    from mmengine.config import Config

    from mmsoco.utils.cfg_options import check_cfg_options
    from mmsoco.utils.config_check import ConfigKeyError, check_config
    from mmsoco.utils.config_values import (ConfigValueError,
                                            check_config_values)
    from .run_length import (ScheduleError, fit_schedule_to_run,
                             set_run_length)
    if not osp.isfile(args.config):
        raise UsageError(missing_config_message(args.config))
    try:
        cfg = Config.fromfile(args.config)
    except Exception as e:  # syntax errors, missing _base_ files ...
        raise UsageError(f'cannot read config {args.config!r}: '
                         f'{type(e).__name__}: {e}') from e
    try:
        check_cfg_options(cfg, args.cfg_options)
        cfg.merge_from_dict(args.cfg_options)
        check_config_values(cfg)
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
        set_resume(cfg, args.resume)
        if args.tensorboard:
            add_tensorboard(cfg)
        check_config(cfg)  # unknown types / arguments, before building
    except (ConfigKeyError, ConfigValueError, ScheduleError) as e:
        raise UsageError(str(e)) from e
    return cfg


def _find_key(node, key):
    """The first value of ``key`` in a nested config dict (depth first)."""
    if isinstance(node, dict):
        if key in node:
            return node[key]
        for value in node.values():
            found = _find_key(value, key)
            if found is not None:
                return found
    elif isinstance(node, (list, tuple)):
        for value in node:
            found = _find_key(value, key)
            if found is not None:
                return found
    return None


def config_summary(cfg) -> str:
    """A few lines saying what this run trains (the whole config goes to
    the work dir's log file)."""
    from .run_length import _unit_name, run_length
    model = cfg.get('model') or {}
    loader = cfg.get('train_dataloader') or {}
    dataset = loader.get('dataset') or {}
    data = _find_key(dataset, 'data_root') or _find_key(dataset, 'ann_file')
    wrapper = cfg.get('optim_wrapper') or {}
    optimizer = wrapper.get('optimizer') or {}
    backbone = model.get('backbone') or {}
    arch = ''
    if backbone:
        arch = f' ({backbone.get("type", "?")}'
        arch += f'-{backbone["depth"]})' if 'depth' in backbone else ')'
    try:
        length = _unit_name(*run_length(cfg))
    except ValueError:
        length = '?'
    lines = [
        f'model:    {model.get("type", "?")}{arch}',
        f'data:     {dataset.get("type", "?")}'
        f'{f" from {data}" if data else ""}',
        f'batch:    {loader.get("batch_size", "?")} per process, '
        f'{loader.get("num_workers", 0)} workers',
        f'length:   {length}',
        f'lr:       {optimizer.get("lr", "?")} '
        f'({optimizer.get("type", "?")}, '
        f'{wrapper.get("type", "OptimWrapper")})',
        f'work dir: {cfg.work_dir} (full config and environment in its '
        'log file)',
    ]
    source = resume_source(cfg)
    if source:
        lines.append(f'resume:   {source}')
    return '\n'.join(lines)


__all__ = ['config_files', 'config_summary', 'load_config',
           'missing_config_message']
