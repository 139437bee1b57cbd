"""The package layout: no import circle inside engine/, and the domains' code stays out of what they share.

The import graph is read from the source with ``ast`` (nothing is imported).
Importing ``a.b.c`` runs the ``__init__`` of ``a.b`` too, except the packages
the importing module itself is inside (they are being imported already);
``from pkg import name`` reads ``pkg/__init__`` unless ``name`` is a submodule.
Imports under ``if TYPE_CHECKING:`` never run and are left out.

A circle closed by an import inside a function is still a circle (it only
moves the failure to the first call), so the second test counts those too.
"""
import ast

import pytest

from conftest import ROOT

ENGINE = ROOT / "engine"


def _name(path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


FILES = {_name(p): p for p in ENGINE.rglob("*.py")}
PACKAGES = {_name(p) for p in ENGINE.rglob("__init__.py")}


def _type_checking(node) -> bool:
    t = node.test
    return isinstance(node, ast.If) and (getattr(t, "id", None) == "TYPE_CHECKING"
                                         or getattr(t, "attr", None) == "TYPE_CHECKING")


def imports(module: str, *, in_functions: bool) -> set[str]:
    """The engine modules ``module`` imports (at module level; with ``in_functions``, in functions too)."""
    tree = ast.parse(FILES[module].read_text(encoding="utf-8"))
    package = module if module in PACKAGES else module.rpartition(".")[0]
    inside = {".".join(module.split(".")[:i]) for i in range(1, module.count(".") + 1)}
    found = []        # (imported module, whether the package's own namespace is read)

    def visit(node, top: bool):
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _type_checking(child):
                continue
            nested = isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
            if isinstance(child, ast.Import) and (top or in_functions):
                found.extend((a.name, False) for a in child.names)
            elif isinstance(child, ast.ImportFrom) and (top or in_functions):
                base = child.module or ""
                if child.level:
                    up = package.split(".")[:len(package.split(".")) - (child.level - 1)]
                    base = ".".join(up + ([base] if base else []))
                for a in child.names:
                    sub = f"{base}.{a.name}"
                    found.append((sub, False) if sub in FILES else (base, True))
            visit(child, top and not nested)

    visit(tree, True)
    out = set()
    for name, own in found:
        parts = name.split(".")
        for i in range(2, len(parts) + 1):
            m = ".".join(parts[:i])
            if m in FILES and m != module and (m not in inside or (own and m == name)):
                out.add(m)
    return out


def cycles(in_functions: bool) -> list[list[str]]:
    """One circle per strongly connected component of the import graph (Tarjan), as a path back to its start."""
    graph = {m: sorted(imports(m, in_functions=in_functions)) for m in FILES}
    index, low, stack, on, found = {}, {}, [], set(), []

    def strong(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in graph[v]:
            if w not in index:
                strong(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = set()
            while True:
                w = stack.pop()
                on.discard(w)
                comp.add(w)
                if w == v:
                    break
            if len(comp) > 1:
                found.append(_circle(graph, comp))

    for v in sorted(graph):
        if v not in index:
            strong(v)
    return found


def _circle(graph, comp: set) -> list[str]:
    """A shortest circle through the first module of a component (breadth-first)."""
    start = min(comp)
    paths = {start: [start]}
    queue = [start]
    while queue:
        v = queue.pop(0)
        for w in graph[v]:
            if w == start:
                return paths[v] + [start]
            if w in comp and w not in paths:
                paths[w] = paths[v] + [w]
                queue.append(w)
    return sorted(comp)


def _report(found) -> str:
    return "import circles in engine/:\n" + "\n".join("  " + " -> ".join(c) for c in found)


def test_no_module_level_import_circle():
    found = cycles(in_functions=False)
    assert not found, _report(found)


def test_no_import_circle_closed_inside_a_function():
    found = cycles(in_functions=True)
    assert not found, _report(found)


@pytest.mark.parametrize("shared", ["engine.findings", "engine.record_columns", "engine.checks", "engine.deadlines"])
def test_shared_code_does_not_import_penalty_code(shared):
    """What several record kinds use (the finding machinery, record columns, the approval and power-list
    checks and their helpers, the deadlines) does not reach into the penalty package."""
    mine = [m for m in FILES if m == shared or m.startswith(shared + ".")]
    assert mine
    bad = {m: sorted(i for i in imports(m, in_functions=True) if i.startswith("engine.penalty"))
           for m in mine}
    assert not {m: i for m, i in bad.items() if i}


def test_every_engine_import_names_a_module_that_exists():
    """A module moved without its importers updated fails here, even where the import sits in a function
    that no other test happens to call."""
    import importlib.util
    from pathlib import Path
    root = Path(__file__).resolve().parent.parent
    stale = []
    for path in [*root.joinpath("engine").rglob("*.py"), root / "cli.py", *root.joinpath("bench").glob("*.py")]:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.ImportFrom) and not node.level and (node.module or "").startswith("engine"):
                names = [node.module]
            elif isinstance(node, ast.Import):
                names = [a.name for a in node.names if a.name.startswith("engine")]
            else:
                continue
            for name in names:
                if importlib.util.find_spec(name) is None:
                    stale.append(f"{path.relative_to(root)}:{node.lineno}: {name}")
    assert not stale, "imports of modules that do not exist:\n" + "\n".join(stale)
