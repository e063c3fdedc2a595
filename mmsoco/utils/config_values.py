"""Config values that would fail deep inside torch or train nothing, refused
in one line before anything is built.

``--cfg-options train_dataloader.batch_size=abc`` arrives as the string
``'abc'``, ``num_workers=-1`` reaches torch's DataLoader, and
``train_cfg.max_iters=0`` trains nothing and says nothing, ``depth=19``
fails in ResNet's constructor: each becomes a :class:`ConfigValueError`
naming the key, the value and what it needs.
"""
from numbers import Integral

LOADERS = ('train_dataloader', 'val_dataloader', 'test_dataloader')
# (key in a dataloader, smallest value)
LOADER_COUNTS = (('batch_size', 1), ('num_workers', 0))
RUN_LENGTHS = ('max_iters', 'max_epochs')


class ConfigValueError(ValueError):
    """A config value of the wrong type or range (one line)."""


def _whole(value) -> bool:
    return isinstance(value, Integral) and not isinstance(value, bool)


def _check_count(key: str, value, least: int, example: str) -> None:
    if _whole(value) and value >= least:
        return
    what = 'a whole number' if not _whole(value) else f'at least {least}'
    raise ConfigValueError(
        f'config key {key}: {value!r} is not {what} (it must be a whole '
        f'number >= {least}, e.g. --cfg-options {key}={example})')


def check_config_values(cfg) -> None:
    """Raise :class:`ConfigValueError` for the first dataloader count or
    run length that is not a whole number in range."""
    for loader in LOADERS:
        node = cfg.get(loader)
        if not isinstance(node, dict):
            continue
        for key, least in LOADER_COUNTS:
            if key in node and node[key] is not None:
                _check_count(f'{loader}.{key}', node[key], least,
                             str(max(least, 2)))
    train_cfg = cfg.get('train_cfg')
    if isinstance(train_cfg, dict):
        for key in RUN_LENGTHS:
            if key in train_cfg:
                _check_count(f'train_cfg.{key}', train_cfg[key], 1, '10')
    _check_depths(cfg)


def _check_depths(cfg) -> None:
    """A ``depth`` that the class's ``arch_settings`` (ResNet and its
    relatives) does not have."""
    from .build_errors import lookup_any
    from .config_check import dotted, typed_dicts
    scope = cfg.get('default_scope')
    tree = cfg.to_dict() if hasattr(cfg, 'to_dict') else dict(cfg)
    for path, node in typed_dicts(tree):
        if 'depth' not in node or not isinstance(node['type'], str):
            continue
        try:
            obj = lookup_any(node['type'], scope)
        except Exception:  # an unknown type: check_config names it
            continue
        settings = getattr(obj, 'arch_settings', None)
        if isinstance(settings, dict) and node['depth'] not in settings:
            valid = ', '.join(str(d) for d in sorted(settings))
            key = dotted(path + ('depth', ))
            raise ConfigValueError(
                f'config key {key}: '
                f'{node["type"]} has no depth {node["depth"]!r}; valid: '
                f'{valid}')


__all__ = ['ConfigValueError', 'check_config_values']
