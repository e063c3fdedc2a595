"""Registry look-ups for config checks: what a type name resolves to, the
names a registry offers (for "closest:" hints), and the keywords a
constructor accepts."""
import difflib
import inspect
import re
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
    """mmengine's root registry ``name`` as seen from ``scope`` (the
    scope's child registry, or the root where the scope has none)."""
    import importlib

    import mmengine.registry as mmreg
    root = getattr(mmreg, name)
    if scope is None or scope == root.scope:
        return root
    try:
        importlib.import_module(f'{scope}.registry')
    except ImportError:
        return root
    child = root._search_child(scope)  # (an empty Registry is falsy)
    return root if child is None else child


def lookup(type_name: str, registries: Sequence[str], scope):
    """What ``type_name`` resolves to in the first of ``registries`` (root
    registry names, e.g. 'MODELS') that has it; None if none has."""
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


def _forwards_kwargs(fn, var: str) -> bool:
    """Whether ``fn``'s source passes ``**var`` on to a base ``__init__``
    and reads nothing from it itself."""
    try:
        src = inspect.getsource(fn)
    except (OSError, TypeError):
        return False
    if re.search(rf'\b{var}\s*(\.(pop|get|setdefault|update|keys|items)\b|\[)',
                 src):
        return False
    return re.search(rf'\.__init__\((?:[^()]|\([^()]*\))*\*\*{var}\b', src,
                     re.S) is not None


def accepted_args(obj, strict: bool = True) -> Optional[set]:
    """The keyword names ``obj`` (a class or function) accepts, following
    ``**kwargs`` into base classes' ``__init__`` when the source passes them
    there untouched; None when unknowable (``strict``), else what was
    seen."""
    if inspect.isclass(obj):
        inits = []
        for klass in obj.__mro__:
            if klass in (object, nn.Module):
                break  # accepts no extra keywords
            if '__init__' in vars(klass):
                inits.append(vars(klass)['__init__'])
        if not inits:
            return set()
    else:
        inits = [obj]
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
        var = [p.name for p in params if p.kind == p.VAR_KEYWORD]
        if not var:
            return names
        if not inspect.isclass(obj) or not _forwards_kwargs(fn, var[0]):
            return None if strict else names
    return names  # the chain of **kwargs ends at object / nn.Module


def qualname(type_name: str, obj) -> str:
    """How a message names the class: as the config wrote it, else the
    class name."""
    return type_name if '.' in type_name else getattr(obj, '__name__',
                                                      type_name)
