"""The package's import graph: no circles, and nothing imports upward.

Every module of ncpu_cli/ is parsed with `ast` (imports at module level and inside
functions alike; `from x import y` where y is a submodule counts as importing x.y),
and the graph of imports between ncpu_cli modules is checked against the layer
table below (low -> high). Within a layer imports are allowed if they make no circle.
"""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = "ncpu_cli"
ROOT = Path(__file__).resolve().parent.parent / PACKAGE

# (layer, module or package prefix); the longest matching prefix decides.
LAYERS: list[tuple[int, str]] = [
    # 0: the vocabulary, plain data and file helpers every layer uses
    (0, "ncpu_cli.version"),  # the version string
    (0, "ncpu_cli.errors"),
    (0, "ncpu_cli.isa"),
    (0, "ncpu_cli.isadoc"),  # isa/README.md from the opcode table (reads only isa)
    (0, "ncpu_cli.textdata"),
    (0, "ncpu_cli.fsutil"),
    (0, "ncpu_cli.image_fields"),  # validation of an image mapping, used by image
    # 1: the program image
    (1, "ncpu_cli.image"),
    (1, "ncpu_cli.readmemh"),  # a $readmemh file -> Image (builds Images; formats uses it)
    # 2: what reads, writes and makes images
    (2, "ncpu_cli.disasm"),
    (2, "ncpu_cli.formats"),
    (2, "ncpu_cli.asm"),
    # 3: the executors
    (3, "ncpu_cli.machine"),
    # 4: what drives them
    (4, "ncpu_cli.trace"),
    (4, "ncpu_cli.run"),
    # 5: measurements and search
    (5, "ncpu_cli.bench"),
    (5, "ncpu_cli.fit"),
    # 6: rich views
    (6, "ncpu_cli.render"),
    # 7: the command line
    (7, "ncpu_cli.cli"),
    (7, "ncpu_cli.__main__"),
    # 8: the package __init__, the public API re-exported lazily (docs/api.md)
    (8, "ncpu_cli"),
]

# Packages whose modules must never import each other's (either direction).
APART = [("ncpu_cli.machine.exact", "ncpu_cli.machine.soft")]
# (importer prefix, imported prefix) that must never occur.
FORBIDDEN = [("ncpu_cli.machine", "ncpu_cli.run")]


def _under(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def module_names(root: Path = ROOT, package: str = PACKAGE) -> dict[str, Path]:
    """Every module of the package: dotted name -> file (a package is its __init__)."""
    names = {}
    for path in sorted(root.rglob("*.py")):
        parts = list(path.relative_to(root).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        names[".".join([package, *parts])] = path
    return names


def _is_package(path: Path) -> bool:
    return path.name == "__init__.py"


def imports_of(name: str, path: Path, modules: set[str]) -> set[str]:
    """The package's modules that `name` (in `path`) imports, anywhere in the file."""
    tree = ast.parse(path.read_text(), filename=str(path))
    here = name if _is_package(path) else name.rpartition(".")[0]  # base of `from .`
    found: set[str] = set()

    def add(target: str) -> None:
        # the longest prefix of target that is one of the package's modules
        while target and target not in modules:
            target = target.rpartition(".")[0]
        if target and target != name:
            found.add(target)

    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                add(alias.name)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = here
                for _ in range(node.level - 1):
                    base = base.rpartition(".")[0]
                base = f"{base}.{node.module}" if node.module else base
            else:
                base = node.module or ""
            for alias in node.names:
                sub = f"{base}.{alias.name}"
                add(sub if sub in modules else base)
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute | ast.Name)
            and (node.func.attr if isinstance(node.func, ast.Attribute) else node.func.id)
            == "import_module"
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            add(node.args[0].value)  # importlib.import_module("ncpu_cli.x")
    return found


def import_graph(root: Path = ROOT, package: str = PACKAGE) -> dict[str, set[str]]:
    """module -> the package's modules it imports."""
    names = module_names(root, package)
    return {name: imports_of(name, path, set(names)) for name, path in names.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One import circle as [a, b, ..., a], or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(graph, WHITE)
    for start in sorted(graph):
        if colour[start] != WHITE:
            continue
        stack = [(start, iter(sorted(graph[start])))]
        path = [start]
        colour[start] = GREY
        while stack:
            node, children = stack[-1]
            child = next(children, None)
            if child is None:
                colour[node] = BLACK
                stack.pop()
                path.pop()
            elif colour.get(child, BLACK) == GREY:
                return path[path.index(child) :] + [child]
            elif colour.get(child) == WHITE:
                colour[child] = GREY
                path.append(child)
                stack.append((child, iter(sorted(graph.get(child, ())))))
    return None


def all_cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """One circle through each group of modules that import each other (Tarjan's strongly
    connected components), so a failure shows every circle at once, not only the first."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    groups: list[set[str]] = []

    def visit(v: str) -> None:
        index[v] = low[v] = len(index)
        stack.append(v)
        for w in sorted(graph.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in stack:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            group = set()
            while True:
                w = stack.pop()
                group.add(w)
                if w == v:
                    break
            groups.append(group)

    for v in sorted(graph):
        if v not in index:
            visit(v)
    out = []
    for group in groups:
        sub = {v: graph.get(v, set()) & group for v in group}
        cycle = find_cycle(sub)
        if cycle is not None:
            out.append(cycle)
    return sorted(out)


def layer_of(name: str, layers=LAYERS) -> int | None:
    best = None
    for layer, prefix in layers:
        if _under(name, prefix) and (best is None or len(prefix) > len(best[1])):
            best = (layer, prefix)
    return None if best is None else best[0]


def bad_edges(graph: dict[str, set[str]], layers=LAYERS, apart=APART, forbidden=FORBIDDEN):
    """Every import that goes upward or crosses a forbidden line, as readable lines."""
    bad = []
    for src in sorted(graph):
        for dst in sorted(graph[src]):
            ls, ld = layer_of(src, layers), layer_of(dst, layers)
            if ls is None or ld is None:
                bad.append(f"{src} -> {dst}: not in the layer table")
            elif ld > ls:
                bad.append(f"{src} (layer {ls}) -> {dst} (layer {ld}): imports upward")
            for a, b in apart:
                if (_under(src, a) and _under(dst, b)) or (_under(src, b) and _under(dst, a)):
                    bad.append(f"{src} -> {dst}: {a} and {b} must not import each other")
            for a, b in forbidden:
                if _under(src, a) and _under(dst, b):
                    bad.append(f"{src} -> {dst}: {a} must not import {b}")
    return bad


# --- the package itself ------------------------------------------------------------


def test_every_module_has_a_layer():
    missing = [m for m in import_graph() if layer_of(m) is None]
    assert not missing, f"modules not in the layer table: {missing}"


def test_no_import_cycle():
    cycles = all_cycles(import_graph())
    assert not cycles, "\n".join(["import circles:", *(" -> ".join(c) for c in cycles)])


def test_nothing_imports_upward():
    bad = bad_edges(import_graph())
    assert not bad, "\n".join(["imports against the layers:", *bad])


# --- the checks can fail -----------------------------------------------------------


def test_find_cycle_reports_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    cycle = find_cycle(graph)
    assert cycle is not None and cycle[0] == cycle[-1]
    assert set(cycle) == {"a", "b", "c"}
    assert find_cycle({"a": {"b"}, "b": set(), "c": {"a", "b"}}) is None
    graph["e"], graph["f"] = {"f"}, {"e"}  # a second, separate circle is reported too
    assert [set(c) for c in all_cycles(graph)] == [{"a", "b", "c"}, {"e", "f"}]
    assert all_cycles({"a": {"b"}, "b": set()}) == []


def test_bad_edges_reports_upward_and_forbidden_imports():
    graph = {
        "ncpu_cli.image": {"ncpu_cli.formats", "ncpu_cli.isa"},
        "ncpu_cli.formats": {"ncpu_cli.image"},
        "ncpu_cli.machine.exact.step": {"ncpu_cli.machine.soft.alu"},
        "ncpu_cli.machine.config": {"ncpu_cli.run.batch"},
        "ncpu_cli.isa": set(),
        "ncpu_cli.machine.soft.alu": set(),
        "ncpu_cli.run.batch": set(),
    }
    bad = "\n".join(bad_edges(graph))
    assert "ncpu_cli.image (layer 1) -> ncpu_cli.formats (layer 2): imports upward" in bad
    assert "ncpu_cli.machine.exact.step -> ncpu_cli.machine.soft.alu" in bad
    assert "ncpu_cli.machine.config -> ncpu_cli.run.batch: ncpu_cli.machine must not" in bad
    assert "ncpu_cli.formats ->" not in bad  # downward is fine
    assert find_cycle(graph) == ["ncpu_cli.formats", "ncpu_cli.image", "ncpu_cli.formats"]


def test_imports_are_found_anywhere_in_a_module(tmp_path):
    pkg = tmp_path / "pkg"
    (pkg / "sub").mkdir(parents=True)
    (pkg / "__init__.py").write_text("")
    (pkg / "sub" / "__init__.py").write_text("")
    (pkg / "sub" / "leaf.py").write_text("")
    (pkg / "low.py").write_text("import os\n")
    (pkg / "mid.py").write_text(
        "from pkg import sub\n"  # a package: pkg.sub
        "from pkg.sub import leaf\n"  # a submodule: pkg.sub.leaf
        "def late():\n"
        "    from .low import x\n"  # function-level, relative
        "    import importlib; importlib.import_module('pkg.high')\n"
    )
    (pkg / "high.py").write_text("from . import mid\n")
    graph = import_graph(pkg, "pkg")
    assert graph["pkg.mid"] == {"pkg.sub", "pkg.sub.leaf", "pkg.low", "pkg.high"}
    assert graph["pkg.high"] == {"pkg.mid"}
    assert graph["pkg.low"] == set()
    assert find_cycle(graph) == ["pkg.high", "pkg.mid", "pkg.high"]
