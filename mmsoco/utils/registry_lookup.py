"""Registry look-ups for config checks: what a type name resolves to, the
names a registry offers (for "closest:" hints), and the keywords a
constructor accepts."""
import difflib
import inspect
from typing import Optional, Sequence

import torch.nn as nn


def closest(word: str, names, n: int = 3) -> list:
    """The names most like ``word`` (case-insensitive), best first."""
    names = sorted(set(names))
    lower = {}
    for name in names:
        lower.setdefault(name.lower(), name)
    hits = difflib.get_close_matches(word.lower(), list(lower), n=n,
                                     cutoff=0.6)
    return [lower[h] for h in hits]


def hint(word, names) -> str:
    near = closest(word, names)
    if near:
        return '; closest: ' + ', '.join(near)
    names = sorted(names)
    more = ', ...' if len(names) > 8 else ''
    return '; valid: ' + ', '.join(names[:8]) + more if names else ''


def registry(name: str, scope: Optional[str]):
    """mmengine's root registry ``name`` seen from ``scope``."""
    import mmengine.registry as mmreg
    root = getattr(mmreg, name)
    if scope is None:
        return root
    with root.switch_scope_and_registry(scope) as reg:
        return reg


def lookup(type_name: str, registries: Sequence[str], scope):
    for name in registries:
        reg = registry(name, scope)
        try:
            obj = reg.get(type_name)
        except Exception:  # an unimportable scope prefix, ...
            obj = None
        if obj is not None:
            return obj
    return None


def registered_names(registry_name: str, scope) -> set:
    """Every type a config in ``scope`` can name in this registry: the
    scope's own, its ancestors', and other scopes' with their prefix."""
    reg = registry(registry_name, scope)
    names, node = set(), reg
    while node is not None:
        node.import_from_location()
        names |= set(node._module_dict)
        node = node.parent
    root = reg
    while root.parent is not None:
        root = root.parent
    for child_scope, child in root._children.items():
        if child is reg:
            continue
        try:
            child.import_from_location()
        except Exception:
            continue
        names |= {f'{child_scope}.{k}' for k in child._module_dict}
    return names


def accepted_args(obj, strict: bool = True) -> Optional[set]:
    """The keyword names ``obj`` (a class or function) accepts, following
    ``**kwargs`` into base classes' ``__init__``; None when unknowable
    (``strict``: a ``**kwargs`` that may go anywhere)."""
    inits = []
    if inspect.isclass(obj):
        for klass in obj.__mro__:
            if klass in (object, nn.Module):
                break  # accept no extra keywords
            if '__init__' in vars(klass):
                inits.append(vars(klass)['__init__'])
    else:
        inits.append(obj)
    names = set()
    for fn in inits:
        try:
            params = list(inspect.signature(fn).parameters.values())
        except (TypeError, ValueError):
            return None if strict else names
        if inspect.isclass(obj):
            params = params[1:]  # self
        names |= {p.name for p in params
                  if p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)}
        if not any(p.kind == p.VAR_KEYWORD for p in params):
            return names
    if inspect.isclass(obj):
        return names
    return None if strict else names


def _qualname(type_name: str, obj) -> str:
    return type_name if '.' in type_name else getattr(obj, '__name__',
                                                      type_name)
