"""wecare_common's modules import one another without a circle (issue 14).

Every import counts, those inside functions too: a function-level import that
closes a circle only hides it. Read from the source with `ast`; nothing is run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = "wecare_common"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE


def imports_of(source: str, module: str, modules: set[str]) -> set[str]:
    """The modules of `modules` that `module`'s source imports, wherever it does."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:  # relative: from . import x, from .x import y
                base = ".".join(module.split(".")[:-node.level] + (
                    [node.module] if node.module else []))
            else:
                base = node.module or ""
            # `from pkg import sub` imports the submodule pkg.sub
            names = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        for name in names:
            # `import pkg.a.b` imports pkg.a too; keep the longest known module
            parts = name.split(".")
            for end in range(len(parts), 0, -1):
                candidate = ".".join(parts[:end])
                if candidate in modules:
                    found.add(candidate)
                    break
    found.discard(module)
    found.discard(module.rpartition(".")[0])  # the package's __init__: the root, not a dependency
    return found


def import_graph(root: Path = ROOT, package: str = PACKAGE) -> dict[str, set[str]]:
    files = {f"{package}.{path.stem}": path for path in root.glob("*.py")
             if path.stem != "__init__"}
    modules = set(files) | {package}
    return {module: imports_of(path.read_text(), module, modules)
            for module, path in files.items()}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One circle of the graph as a path (first == last), or None."""
    WHITE, GREY, BLACK = 0, 1, 2
    colour = dict.fromkeys(graph, WHITE)
    stack: list[str] = []

    def visit(node: str) -> list[str] | None:
        colour[node] = GREY
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if colour.get(nxt, BLACK) == GREY:
                return stack[stack.index(nxt):] + [nxt]
            if colour.get(nxt) == WHITE and (cycle := visit(nxt)):
                return cycle
        stack.pop()
        colour[node] = BLACK
        return None

    for node in sorted(graph):
        if colour[node] == WHITE and (cycle := visit(node)):
            return cycle
    return None


def test_the_reader_sees_function_level_and_relative_imports() -> None:
    modules = {"p", "p.a", "p.b", "p.c"}
    source = "import os\nfrom . import b\ndef f():\n    from p.c import thing\n"
    assert imports_of(source, "p.a", modules) == {"p.b", "p.c"}
    assert find_cycle({"p.a": {"p.b"}, "p.b": {"p.c"}, "p.c": {"p.a"}}) == [
        "p.a", "p.b", "p.c", "p.a"]
    assert find_cycle({"p.a": {"p.b"}, "p.b": set(), "p.c": {"p.a", "p.b"}}) is None


def test_wecare_common_has_no_import_cycle() -> None:
    graph = import_graph()
    assert "wecare_common.topology" in graph and "wecare_common.consumer" in graph
    assert "wecare_common.topology" in graph["wecare_common.consumer"]
    cycle = find_cycle(graph)
    if cycle:
        pytest.fail("import cycle in wecare_common: " + " -> ".join(cycle))
