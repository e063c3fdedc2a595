"""The three rooms of mmsoco.proposals: imports (also those inside
functions) flow runner -> store -> algorithm, and no module of the package
imports itself back through another (no cycle)."""
import ast
import glob
import os.path as osp

from ..helpers import REPO

PKG = osp.join(REPO, 'mmsoco', 'proposals')
ROOMS = ('algorithm', 'store', 'runner')
# a room may import these rooms (its own included)
ALLOWED = dict(algorithm={'algorithm'}, store={'store', 'algorithm'},
               runner={'runner', 'store', 'algorithm'})


def module_imports():
    """{module: set of mmsoco.proposals modules it imports}."""
    out = {}
    for path in glob.glob(osp.join(PKG, '**', '*.py'), recursive=True):
        rel = osp.relpath(path, osp.dirname(PKG))[:-3].replace(osp.sep, '.')
        name = 'mmsoco.' + rel.replace('.__init__', '')
        pkg = name if path.endswith('__init__.py') else name.rsplit('.', 1)[0]
        deps = set()
        for node in ast.walk(ast.parse(open(path).read())):
            if isinstance(node, ast.ImportFrom):
                if node.level:
                    parts = pkg.split('.')
                    base = parts[:len(parts) - node.level + 1]
                    mod = '.'.join(base + ([node.module] if node.module
                                           else []))
                else:
                    mod = node.module or ''
                for alias in node.names:
                    full = f'{mod}.{alias.name}'
                    is_module = osp.isfile(osp.join(
                        osp.dirname(PKG), *full.split('.')[1:]) + '.py')
                    deps.add(full if is_module else mod)
            elif isinstance(node, ast.Import):
                deps.update(a.name for a in node.names)
        out[name] = {d for d in deps if d.startswith('mmsoco.proposals.')}
    return out


def room(module):
    parts = module.split('.')
    return parts[2] if len(parts) > 2 else None


def test_imports_flow_one_way():
    graph = module_imports()
    assert {room(m) for m in graph} == set(ROOMS) | {None}
    for mod, deps in graph.items():
        if room(mod) is None:
            continue
        for dep in deps:
            assert room(dep) in ALLOWED[room(mod)], f'{mod} imports {dep}'


def test_no_import_cycle():
    graph = module_imports()
    # a module's own package __init__ is not an edge back to it
    edges = {m: {d for d in deps if not m.startswith(d + '.')}
             for m, deps in graph.items()}
    state = {}

    def visit(m, path):
        state[m] = 'open'
        for d in edges.get(m, ()):
            assert state.get(d) != 'open', ' -> '.join(path + [d])
            if d not in state:
                visit(d, path + [d])
        state[m] = 'done'

    for m in sorted(edges):
        if m not in state:
            visit(m, [m])
