"""The package's shape stays as docs/design.md describes it: no import cycle, no function over 80
lines, and no per-language field in the code (class names and words are keyed by language).

An import cycle counts every import: at module level, inside a function, and the implicit one of
a package's `__init__` (importing `a.b` first imports `a`, so an `a/__init__.py` that imports a
module which imports `a.b` back closes a cycle).
"""

from __future__ import annotations

import ast
import re
from collections.abc import Iterator
from pathlib import Path

import pytest

pytestmark = pytest.mark.tooling

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "resnet_demo"
LONGEST_FUNCTION = 80
PER_LANGUAGE_NAME = re.compile(r"_zh\b|_zh_|^zh_", re.IGNORECASE)


def modules(package: Path = PACKAGE) -> dict[str, Path]:
    """Dotted module name -> file, for every module of the package."""
    found = {}
    for path in sorted(package.rglob("*.py")):
        parts = list(path.relative_to(package.parent).with_suffix("").parts)
        if parts[-1] == "__init__":
            parts.pop()
        found[".".join(parts)] = path
    return found


def imported(name: str, path: Path, known: dict[str, Path]) -> set[str]:
    """The package modules that module `name` (at `path`) imports, anywhere in its code, plus the
    parent packages that importing them runs first."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    targets: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join([*anchor, *([node.module] if node.module else [])])
            targets.add(base)
            targets.update(f"{base}.{alias.name}" for alias in node.names)
    edges = {target for target in targets if target in known and target != name}
    for target in targets:
        parts = target.split(".")
        for i in range(1, len(parts)):
            parent = ".".join(parts[:i])
            # a module's own parent packages are already imported when it runs
            if parent in known and parent != name and not name.startswith(parent + "."):
                edges.add(parent)
    return edges


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for other in sorted(graph[node]):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in on_stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def package_graph() -> dict[str, set[str]]:
    known = modules()
    return {name: imported(name, path, known) for name, path in known.items()}


def definitions() -> Iterator[tuple[Path, ast.AST]]:
    for path in modules().values():
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            yield path, node


def test_the_cycle_finder_finds_a_package_init_cycle() -> None:
    graph = {"a": {"a.b"}, "a.b": {"a.c"}, "a.c": set(), "d": {"e"}, "e": {"d"}}
    assert cycles(graph) == [["d", "e"]]
    graph["a.c"] = {"a"}
    assert sorted(cycles(graph)) == [["a", "a.b", "a.c"], ["d", "e"]]


def test_no_import_cycle_in_the_package() -> None:
    graph = package_graph()
    assert graph.get("resnet_demo.ui.layout"), "graph not built"
    assert cycles(graph) == []


def test_nothing_below_the_front_ends_imports_the_cli() -> None:
    graph = package_graph()
    front_ends = {"resnet_demo.cli", "resnet_demo.__main__"}
    users = sorted(name for name, edges in graph.items() if "resnet_demo.cli" in edges)
    assert set(users) <= front_ends, users


def test_no_function_is_longer_than_80_lines() -> None:
    long = [
        f"{path.relative_to(ROOT)}:{node.lineno} {node.name} ({node.end_lineno - node.lineno + 1})"
        for path, node in definitions()
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef)
        and node.end_lineno is not None
        and node.end_lineno - node.lineno + 1 > LONGEST_FUNCTION
    ]
    assert long == []


def test_no_per_language_names_in_the_code() -> None:
    """Class names and words are mappings from a language code; a `*_zh` name would make a
    third language another field in every data type."""
    names = []
    for path, node in definitions():
        name = (
            node.id
            if isinstance(node, ast.Name)
            else node.attr
            if isinstance(node, ast.Attribute)
            else node.arg
            if isinstance(node, ast.arg)
            else getattr(node, "name", None)
            if isinstance(node, ast.FunctionDef | ast.ClassDef)
            else None
        )
        if name and PER_LANGUAGE_NAME.search(name):
            names.append(f"{path.relative_to(ROOT)}:{getattr(node, 'lineno', '?')} {name}")
    assert names == []
