"""The length of a training run, and a schedule that follows it.

mmengine configs state the run length twice: in ``train_cfg``
(``max_iters`` / ``max_epochs``) and in every ``param_scheduler``'s
``begin`` / ``end`` / ``T_max``. A child config, or
``--cfg-options train_cfg.max_iters=10``, that changes only the first leaves
the LR schedule sized for the old length. Two pure config edits fix this:

* :func:`fit_schedule_to_run` (configs that set ``schedule_follows_length =
  True``, as mmsoco's ``default_runtime.py`` does): the schedulers were
  written for the length their largest ``end`` names; when ``train_cfg``
  asks for another length, every ``begin`` / ``end`` / ``T_max`` /
  milestone is stretched to it (warm-up stays the same share of the run and
  the cosine ends at the last iteration).
* :func:`set_run_length` (``tools/train.py --iters N`` / ``--epochs N``):
  the whole run rescaled: the loop, the schedulers, the checkpoint and
  validation intervals (the same number of saves, at most 20), the logging
  interval (at least ~10 log lines) and, for epochs, a sampler that ends
  each pass.

SoCo's EMA target follows ``runner.max_iters`` by itself (MomentumTargetHook),
so its horizon needs no edit; InsLoc's momentum is a constant.
"""
import copy
import math
from typing import List, Optional, Tuple

ITERS, EPOCHS = 'iters', 'epochs'
FOLLOW_KEY = 'schedule_follows_length'
INF = int(1e9)  # mmengine's "no end"
MAX_SAVES = 20  # checkpoints (and validations) per rescaled run, at most
MIN_LOG_LINES = 10
# epoch samplers used instead of endless ones when a run counts epochs
EPOCH_SAMPLERS = {'InfiniteSampler': 'DefaultSampler',
                  'SeededInfiniteSampler': 'SeededDefaultSampler'}

Length = Tuple[str, float]  # (ITERS | EPOCHS, how many)


class ScheduleError(ValueError):
    """The run length cannot be read or changed; the message says why."""


def _unit_name(unit: str, n: float) -> str:
    word = 'iteration' if unit == ITERS else 'epoch'
    return f'{n:g} {word}{"" if n == 1 else "s"}'


def run_length(cfg) -> Length:
    """(ITERS, max_iters) or (EPOCHS, max_epochs) of ``cfg.train_cfg``."""
    tc = cfg.get('train_cfg') or {}
    if 'max_iters' in tc and 'max_epochs' in tc:
        raise ScheduleError(
            'train_cfg sets both max_epochs and max_iters (a child config\'s '
            'train_cfg merged into its base\'s): write train_cfg = '
            "dict(_delete_=True, type='IterBasedTrainLoop', max_iters=N), "
            'or pass --iters N / --epochs N to tools/train.py')
    if 'max_iters' in tc:
        return ITERS, int(tc['max_iters'])
    if 'max_epochs' in tc:
        return EPOCHS, int(tc['max_epochs'])
    raise ScheduleError('train_cfg has neither max_iters nor max_epochs: '
                        'the run length is unknown')


def _sched_unit(sched) -> str:
    return EPOCHS if sched.get('by_epoch', True) else ITERS


def _schedulers(cfg) -> List[dict]:
    scheds = cfg.get('param_scheduler') or []
    return [scheds] if isinstance(scheds, dict) else list(scheds)


def schedule_length(schedulers) -> Optional[Length]:
    """The length the schedulers were written for: their largest finite
    ``end``, when they all count in the same unit; else None."""
    units = {_sched_unit(s) for s in schedulers}
    ends = [s['end'] for s in schedulers
            if s.get('end') is not None and s['end'] < INF]
    if len(units) != 1 or not ends:
        return None
    return units.pop(), max(ends)


def _round(x: float) -> int:
    return int(math.floor(x + 0.5))


def _rescale_one(sched: dict, src: Length, dst: Length) -> Optional[dict]:
    s = copy.deepcopy(dict(sched))
    if _sched_unit(s) != src[0]:
        # e.g. an iteration warm-up inside an epoch schedule: kept as
        # written, clipped to the run when that counts iterations too
        if dst[0] == ITERS and s.get('end', INF) > dst[1]:
            s['end'] = dst[1]
        return s if s.get('begin', 0) < s.get('end', INF) else None

    def scale(x):
        return x * dst[1] / src[1]

    old_begin, old_end = s.get('begin', 0), s.get('end')
    spans = old_end is not None and s.get('T_max') == old_end - old_begin
    values = dict(begin=scale(old_begin))
    if old_end is not None and old_end < INF:
        values['end'] = scale(old_end)
    for key in ('T_max', 'step_size'):
        if key in s and not (key == 'T_max' and spans):
            values[key] = scale(s[key])
    if 'milestones' in s:
        values['milestones'] = [scale(m) for m in s['milestones']]
    per_iter = dst[0] == ITERS or src[0] == ITERS or \
        s.get('convert_to_iter_based', False)
    if dst[0] == ITERS or not per_iter:
        # counted in whole steps (iterations, or epochs of a per-epoch
        # schedule)
        values = {k: ([_round(m) for m in v] if isinstance(v, list) else
                      _round(v)) for k, v in values.items()}
        for key in ('T_max', 'step_size'):
            if key in values:
                values[key] = max(1, values[key])
    s.update(values)
    s['by_epoch'] = dst[0] == EPOCHS
    if dst[0] == EPOCHS and per_iter:
        s['convert_to_iter_based'] = True  # fractional epochs, per step
    else:
        s.pop('convert_to_iter_based', None)
    if spans:
        s['T_max'] = s['end'] - s['begin']
    steps = s.get('end', INF) - s['begin']
    if not s['by_epoch'] or not s.get('convert_to_iter_based'):
        if steps <= 0 or (steps < 2 and 'LinearLR' in str(s.get('type'))):
            # mmengine's LinearLR reaches end_factor on its second step: a
            # one-step warm-up would leave the LR at start_factor for good
            return None
    elif steps <= 0:
        return None
    return s


def rescale_schedulers(schedulers, src: Length, dst: Length) -> list:
    """``schedulers`` written for ``src`` stretched to ``dst``: the same
    shares of the run, in ``dst``'s unit; a phase that rounds to nothing
    (a warm-up of 0 iterations) is dropped."""
    out = [_rescale_one(s, src, dst) for s in schedulers]
    return [s for s in out if s is not None]


def fit_schedule_to_run(cfg) -> Optional[str]:
    """Stretch ``param_scheduler`` to ``train_cfg``'s length (configs with
    ``schedule_follows_length = True``). Returns a line saying what changed,
    or None."""
    scheds = _schedulers(cfg)
    if not cfg.get(FOLLOW_KEY, False) or not scheds:
        return None
    written, run = schedule_length(scheds), run_length(cfg)
    if written is None or written == run:
        return None
    cfg.param_scheduler = rescale_schedulers(scheds, written, run)
    return (f'param_scheduler written for {_unit_name(*written)} stretched '
            f'to the run\'s {_unit_name(*run)} (train_cfg)')


def _scaled_interval(interval, src_n, dst_n) -> int:
    """The interval giving the same number of events (at most MAX_SAVES)
    over ``dst_n`` as ``interval`` gave over ``src_n``."""
    count = max(1, min(MAX_SAVES, int(src_n // max(interval, 1))))
    return max(1, math.ceil(dst_n / count))


def _new_train_cfg(old, src: Length, dst: Length) -> dict:
    unit, n = dst
    if unit == ITERS:
        new = dict(type='IterBasedTrainLoop', max_iters=int(n))
    else:
        new = dict(type='EpochBasedTrainLoop', max_epochs=int(n))
    if 'val_interval' in old:
        new['val_interval'] = _scaled_interval(old['val_interval'], src[1], n)
    if unit == src[0] and old.get('type') == new['type']:
        keep = {k: v for k, v in old.items()
                if k not in ('max_iters', 'max_epochs', 'val_interval',
                             'val_begin', 'dynamic_intervals')}
        keep.update(new)
        new = keep
    return new


def _rescale_hooks(cfg, src: Length, dst: Length) -> None:
    hooks = cfg.get('default_hooks') or {}
    ckpt = hooks.get('checkpoint')
    if isinstance(ckpt, dict):
        unit = EPOCHS if ckpt.get('by_epoch', True) else ITERS
        interval = ckpt.get('interval', -1)
        if unit == src[0] and interval and interval > 0:
            ckpt['interval'] = _scaled_interval(interval, src[1], dst[1])
        else:
            ckpt['interval'] = int(dst[1])  # one save, at the end
        ckpt['by_epoch'] = dst[0] == EPOCHS
    logger = hooks.get('logger')
    if isinstance(logger, dict) and dst[0] == ITERS:
        logger['interval'] = max(1, min(logger.get('interval', 10),
                                        int(dst[1]) // MIN_LOG_LINES))
    processor = cfg.get('log_processor')
    if processor is None:
        cfg.log_processor = dict(by_epoch=dst[0] == EPOCHS)
    else:
        processor['by_epoch'] = dst[0] == EPOCHS


def _epoch_sampler(cfg) -> None:
    loader = cfg.get('train_dataloader') or {}
    sampler = loader.get('sampler')
    if not isinstance(sampler, dict) or not isinstance(
            sampler.get('type'), str):
        return
    scope, _, name = sampler['type'].rpartition('.')
    if name in EPOCH_SAMPLERS:
        new = EPOCH_SAMPLERS[name]
        sampler['type'] = f'{scope}.{new}' if scope else new
    elif 'Infinite' in name:
        raise ScheduleError(
            f'--epochs needs a sampler that ends each pass over the data; '
            f'train_dataloader.sampler is {sampler["type"]!r} (endless): '
            'use --iters N, or set a DefaultSampler')


def set_run_length(cfg, iters: Optional[int] = None,
                   epochs: Optional[int] = None) -> str:
    """Rescale the whole run of ``cfg`` to ``iters`` iterations or
    ``epochs`` epochs (exactly one). Returns a line saying what changed."""
    if (iters is None) == (epochs is None):
        raise ScheduleError('give the run length as iterations or epochs, '
                            'not both')
    dst = (ITERS, iters) if iters is not None else (EPOCHS, epochs)
    if dst[1] < 1:
        raise ScheduleError(f'--{dst[0]} must be at least 1, got {dst[1]}')
    src = run_length(cfg)
    scheds = _schedulers(cfg)
    if scheds:
        written = schedule_length(scheds) if cfg.get(FOLLOW_KEY) else None
        cfg.param_scheduler = rescale_schedulers(scheds, written or src, dst)
    if dst[0] == EPOCHS:
        _epoch_sampler(cfg)
    cfg.train_cfg = _new_train_cfg(cfg.train_cfg, src, dst)
    _rescale_hooks(cfg, src, dst)
    return f'run rescaled from {_unit_name(*src)} to {_unit_name(*dst)}'
