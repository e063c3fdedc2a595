"""Registry misses and bad constructor keywords that mmengine raised while
building a config, as one line naming the config key and the closest valid
names (what :func:`mmsoco.utils.config_check.check_config` could not see in
advance, e.g. behind a ``**kwargs``)."""
import re
from typing import Optional, Tuple

from .config_check import dotted, typed_dicts
from .registry_lookup import accepted_args, hint, lookup, registered_names

Path = Tuple

_MISS = re.compile(r'(\S+) is not in the (\S+)::(.+?) registry')
_KWARG = re.compile(r"got an unexpected keyword argument '(\w+)'")
_MISSING = re.compile(r"missing \d+ required (?:positional |keyword-only )?"
                      r"arguments?: (.+)$")
_CLASS = re.compile(r'class `(\w+)` in')
_NAME = re.compile(r'(\w+)\.__init__\(\)')


def _find(cfg, pred) -> Optional[Path]:
    for path, node in typed_dicts(cfg.to_dict() if hasattr(cfg, 'to_dict')
                                   else dict(cfg)):
        if pred(node):
            return path
    return None


def _type_is(node, cls_name) -> bool:
    t = node.get('type')
    name = t if isinstance(t, str) else getattr(t, '__name__', '')
    return name == cls_name or name.endswith('.' + cls_name)


def build_error_message(exc: BaseException, cfg) -> Optional[str]:
    """One line for a registry miss or a bad constructor keyword that
    mmengine raised while building ``cfg``; None for any other error."""
    text = str(exc.args[0]) if exc.args else str(exc)
    miss = _MISS.search(text)
    if isinstance(exc, KeyError) and miss:
        type_name, scope, reg_name = miss.groups()
        type_name = type_name.strip('`\'"')
        path = _find(cfg, lambda n: n.get('type') == type_name)
        where = dotted(path) + '.type' if path else 'a type'
        import mmengine.registry as mmreg
        names = set()
        for attr in dir(mmreg):
            root = getattr(mmreg, attr)
            if getattr(root, 'name', None) == reg_name and hasattr(
                    root, '_module_dict'):
                names = registered_names(attr, scope)
                break
        return (f'config key {where}: {type_name!r} is not a registered '
                f'{reg_name}{hint(type_name, names)}')
    if not isinstance(exc, TypeError):
        return _refused(text, cfg)
    classes = _CLASS.findall(text) or _NAME.findall(text)
    cls_name = classes[-1] if classes else None
    kwarg, missing = _KWARG.search(text), _MISSING.search(text)
    if kwarg:
        key = kwarg.group(1)
        path = _find(cfg, lambda n: key in n and (
            cls_name is None or _type_is(n, cls_name)))
        where = dotted(path + (key, )) if path else key
        node = _find_node(cfg, path)
        obj = lookup_any(node.get('type'), cfg.get('default_scope')) \
            if node else None
        names = accepted_args(obj, strict=False) if obj else None
        return (f'config key {where}: {cls_name or "the class"} has no '
                f'argument {key!r}{hint(key, names or ())}')
    if missing and cls_name:
        path = _find(cfg, lambda n: _type_is(n, cls_name))
        where = dotted(path) if path else cls_name
        return (f'config key {where}: {cls_name} needs '
                f'{missing.group(1)}, which the config does not give')
    return _refused(text, cfg)


def _refused(text: str, cfg) -> Optional[str]:
    """A constructor that refused a value (``class `ResNet` in ...:
    invalid depth 19``): the config key of the value and the reason."""
    classes = _CLASS.findall(text)
    if not classes or '.py: ' not in text:
        return None
    cls_name = classes[-1]
    reason = text.rsplit('.py: ', 1)[-1].strip().strip('\'"')
    reason = reason.splitlines()[0] if reason else 'refused'
    path = _find(cfg, lambda n: _type_is(n, cls_name))
    if path is None:
        return None
    node = _find_node(cfg, path)
    keys = [k for k in node if k != 'type' and isinstance(k, str)
            and re.search(rf'\b{re.escape(k)}\b', reason)]
    where = dotted(path + (keys[0], )) if keys else dotted(path)
    valid = ''
    obj = lookup_any(node.get('type'), cfg.get('default_scope'))
    settings = getattr(obj, 'arch_settings', None)
    if keys and keys[0] == 'depth' and isinstance(settings, dict):
        valid = '; valid: ' + ', '.join(str(d) for d in sorted(settings))
    return f'config key {where}: {cls_name} refused it: {reason}{valid}'


def _find_node(cfg, path) -> Optional[dict]:
    if path is None:
        return None
    node = cfg
    for part in path:
        node = node[part]
    return node


def lookup_any(type_name, scope):
    """The class a type names, searched in every root registry."""
    if not isinstance(type_name, str):
        return type_name
    import mmengine.registry as mmreg
    from mmengine.registry import Registry
    names = [a for a in dir(mmreg) if isinstance(getattr(mmreg, a), Registry)]
    return lookup(type_name, names, scope)
