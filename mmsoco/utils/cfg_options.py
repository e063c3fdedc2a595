"""``--cfg-options`` keys that would silently do nothing, refused in one
line.

mmengine creates any key it is given, so a typo (``train_cfg.max_iter``)
or a top-level variable of the config file (``max_iters``, ``data_root``:
plain Python names the file used while it was read, which nothing reads
afterwards) would be accepted and ignored. Both are refused, the second
naming the keys that really hold the value (a variable given together with
every key named like it, e.g. ``data_root=X
train_dataloader.dataset.data_root=X``, is let through).
"""
import inspect
from typing import Iterable, List

from .config_check import ConfigKeyError, dotted
from .registry_lookup import closest

# Top-level keys read after parsing by tools/train.py itself.
TOOL_KEYS = ('use_amp', 'runner_type', 'schedule_follows_length')


def runner_keys() -> set:
    """The top-level config keys mmengine's Runner reads."""
    from mmengine.runner import Runner
    params = inspect.signature(Runner.__init__).parameters
    return (set(params) - {'self', 'cfg'}) | set(TOOL_KEYS)


def _paths_named(node, name, path=()) -> List[tuple]:
    found = []
    if isinstance(node, dict):
        for key, value in node.items():
            if key == name and path:
                found.append(path + (key, ))
            found += _paths_named(value, name, path + (key, ))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            found += _paths_named(value, name, path + (i, ))
    return found


def _check_exists(cfg, dotted_key: str) -> None:
    node, walked = cfg, []
    for part in dotted_key.split('.'):
        walked.append(part)
        if isinstance(node, (list, tuple)) and part.isdigit() \
                and int(part) < len(node):
            node = node[int(part)]
        elif hasattr(node, 'keys') and part in node:
            node = node[part]
        else:
            near = closest(part, node.keys()) if hasattr(node, 'keys') \
                else []
            hint = f'; closest: {", ".join(near)}' if near else ''
            raise ConfigKeyError(
                f'--cfg-options key {dotted_key!r} does not exist in the '
                f'config ({".".join(walked)!r} not found{hint}); check the '
                'spelling with `python -c "from mmengine import Config; '
                f'print(Config.fromfile(\'{cfg.filename}\').pretty_text)"`')


def _check_drives_something(cfg, dotted_key: str, options) -> None:
    if 'runner_type' in cfg:
        return  # a custom runner may read any top-level key
    top = dotted_key.split('.')[0]
    if top in runner_keys():
        return
    holders = [dotted(p) for p in _paths_named(cfg.to_dict(), top)]
    if holders and all(h in options for h in holders):
        return  # redundant but harmless: the real keys are set as well
    where = (f'set {" / ".join(holders[:3])} instead' if holders else
             'set the keys that use it instead')
    if top in ('max_iters', 'max_epochs'):
        flag = '--iters' if top == 'max_iters' else '--epochs'
        where += f', or use tools/train.py {flag} N'
    raise ConfigKeyError(
        f'--cfg-options {dotted_key}: {top!r} is a variable the config file '
        'used while it was read; changing it now drives nothing: ' + where)


def check_cfg_options(cfg, options: Iterable[str]) -> None:
    """Refuse overrides of keys the config does not have, or of top-level
    variables that nothing reads after the file was parsed (unless every
    key named like the variable is overridden too)."""
    options = list(options)
    for key in options:
        _check_exists(cfg, key)
        _check_drives_something(cfg, key, options)
