"""Config mistakes in one line, before anything is built.

:func:`check_config` walks a parsed config and resolves every ``type`` in
the registry that will build it, then compares the dict's keys with the
constructor's arguments; the first unknown type or keyword becomes a
:class:`ConfigKeyError` naming the config key and the closest valid names
(difflib). It only reports what mmengine's build would certainly reject:
where the registry is not known for sure (dicts that are not built from a
registry, such as ``nms`` or ``roi_layer``) or a constructor takes
``**kwargs`` it does not forward to its base classes, the dict is skipped,
and :func:`build_error_message` translates the error mmengine raises later.
"""
from typing import Iterator, Optional, Tuple

from .registry_lookup import (accepted_args, hint, lookup, qualname,
                              registered_names)
from .registry_lookup import registry as find_registry

Path = Tuple  # config keys (str) and list indices (int)


class ConfigKeyError(ValueError):
    """A config key names an unknown type or argument."""


def dotted(path: Path) -> str:
    out = ''
    for part in path:
        out += f'[{part}]' if isinstance(part, int) else \
            ('.' if out else '') + part
    return out


# ---------------------------------------------------------------- registries
# Keys under ``model`` whose dicts are not built by type from a registry.
NOT_BUILT = ('roi_layer', 'nms', 'dcn', 'plugins', 'rpn_proposal')
# Keys under ``model`` built from mmdet's TASK_UTILS (or MODELS).
TASK_KEYS = ('assigner', 'sampler', 'bbox_coder', 'prior_generator',
             'anchor_generator', 'point_generator', 'iou_calculator',
             'match_cost', 'coder', 'positional_encoding')
TOP_LEVEL = {
    'optim_wrapper': ('OPTIM_WRAPPERS', ),
    'param_scheduler': ('PARAM_SCHEDULERS', ),
    'default_hooks': ('HOOKS', ),
    'custom_hooks': ('HOOKS', ),
    'train_cfg': ('LOOPS', ),
    'val_cfg': ('LOOPS', ),
    'test_cfg': ('LOOPS', ),
    'val_evaluator': ('METRICS', 'EVALUATOR'),
    'test_evaluator': ('METRICS', 'EVALUATOR'),
    'visualizer': ('VISUALIZERS', ),
    'log_processor': ('LOG_PROCESSORS', ),
}
# keywords consumed by the builder, not passed to the constructor
BUILDER_KEYS = {'PARAM_SCHEDULERS': {'convert_to_iter_based',
                                     'epoch_length'}}


def _names(path: Path) -> list:
    return [p for p in path if isinstance(p, str)]


def context(path: Path) -> Optional[Tuple[Tuple[str, ...], bool]]:
    """(registry names to search, check keywords?) for the dict with a
    ``type`` at ``path``; None where the dict is not built from one."""
    names = _names(path)
    top, last = names[0], names[-1]
    if top == 'model':
        if 'init_cfg' in names:
            return ('WEIGHT_INITIALIZERS', ), False
        if any(n in NOT_BUILT for n in names):
            return None
        if last.endswith('_cfg') or any(n in ('train_cfg', 'test_cfg')
                                        for n in names[1:]):
            return ('MODELS', 'TASK_UTILS'), False
        if last in TASK_KEYS:
            return ('TASK_UTILS', 'MODELS'), False
        return ('MODELS', ), True
    if top.endswith('_dataloader') and len(names) > 1:
        if last == 'dataset':
            return ('DATASETS', ), True
        if last in ('pipeline', 'transforms'):
            return ('TRANSFORMS', ), True
        if last in ('sampler', 'batch_sampler'):
            return ('DATA_SAMPLERS', ), True
        if last == 'collate_fn':
            return ('FUNCTIONS', ), False
        return None
    if top == 'optim_wrapper':  # its constructor may read any key
        return (('OPTIMIZERS', ) if last == 'optimizer' else
                ('OPTIM_WRAPPERS', ) if len(names) == 1 else None), False
    if top == 'visualizer' and 'vis_backends' in names:
        return ('VISBACKENDS', ), True
    if top in TOP_LEVEL and len(names) <= 2:
        return TOP_LEVEL[top], True
    return None


# ---------------------------------------------------------------- the walk
def typed_dicts(node, path: Path = ()) -> Iterator[Tuple[Path, dict]]:
    if isinstance(node, dict):
        if 'type' in node and path:
            yield path, node
        for key, value in node.items():
            yield from typed_dicts(value, path + (key, ))
    elif isinstance(node, (list, tuple)):
        for i, value in enumerate(node):
            yield from typed_dicts(value, path + (i, ))


def check_config(cfg) -> None:
    """Raise :class:`ConfigKeyError` for the first unknown ``type`` or
    constructor keyword mmengine would refuse while building ``cfg``."""
    scope = cfg.get('default_scope')
    for path, node in typed_dicts(cfg.to_dict() if hasattr(cfg, 'to_dict')
                                   else dict(cfg)):
        ctx = context(path)
        if ctx is None:
            continue
        registries, check_kwargs = ctx
        _check_type(path, node['type'], registries, scope)
        if path[0] == 'optim_wrapper' and 'constructor' in node:
            _check_type(path + ('constructor', ), node['constructor'],
                        ('OPTIM_WRAPPER_CONSTRUCTORS', ), scope, key=True)
        if check_kwargs and isinstance(node['type'], str):
            _check_kwargs(path, node, registries, scope)
    _check_dataloaders(cfg)


def _check_type(path, type_name, registries, scope, key=False):
    if not isinstance(type_name, str):
        return  # a class object in a pure-Python config
    if lookup(type_name, registries, scope) is not None:
        return
    names = set()
    for name in registries:
        names |= registered_names(name, scope)
    what = find_registry(registries[0], scope).name
    where = dotted(path) + ('' if key else '.type')
    raise ConfigKeyError(
        f'config key {where}: {type_name!r} is not a registered {what}'
        f'{hint(type_name, names)}')


def _check_kwargs(path, node, registries, scope):
    obj = lookup(node['type'], registries, scope)
    accepted = accepted_args(obj)
    if accepted is None:
        return
    allowed = accepted | {'type', '_scope_'}
    for name in registries:
        allowed |= BUILDER_KEYS.get(name, set())
    for key in node:
        if key not in allowed:
            raise ConfigKeyError(
                f'config key {dotted(path + (key, ))}: '
                f'{qualname(node["type"], obj)} has no argument {key!r}'
                f'{hint(key, accepted)}')


def _check_dataloaders(cfg):
    """mmengine passes a dataloader dict's other keys to torch's
    DataLoader: a typo such as ``num_worker`` would fail there."""
    from torch.utils.data import DataLoader
    accepted = accepted_args(DataLoader) or set()
    allowed = accepted | {'dataset', 'sampler', 'batch_sampler',
                          'collate_fn', 'worker_init_fn'}
    for name in ('train_dataloader', 'val_dataloader', 'test_dataloader'):
        loader = cfg.get(name)
        if not isinstance(loader, dict):
            continue
        for key in loader:
            if key not in allowed:
                raise ConfigKeyError(
                    f'config key {name}.{key}: a dataloader has no argument '
                    f'{key!r}{hint(key, allowed)}')
