"""The project's modules import one another without a circle (issue 14):
wecare_common's, the gateway's, each service's and the web app's, all in one graph
(a circle may run across packages).

Every import counts, those inside functions too: a function-level import that
closes a circle only hides it. Read from the source with `ast`; nothing is run.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

PACKAGE = "wecare_common"
ROOT = Path(__file__).resolve().parents[1] / PACKAGE
REPO = Path(__file__).resolve().parents[3]
# every package of the project, by where it lives
PACKAGES = {"wecare_common": ROOT, "gateway": REPO / "gateway/gateway",
            "web": REPO / "web/web",
            **{name: REPO / f"services/{name}/{name}"
               for name in ("benefits", "catalog", "notifications", "wallet")}}


def imports_of(source: str, module: str, modules: set[str]) -> set[str]:
    """The modules of `modules` that `module`'s source imports, wherever it does."""
    found: set[str] = set()
    tree = ast.parse(source)
    # `if TYPE_CHECKING:` imports are for annotations only and never run
    typing_only = {id(n) for block in ast.walk(tree) if isinstance(block, ast.If)
                   and ast.unparse(block.test) in ("TYPE_CHECKING", "typing.TYPE_CHECKING")
                   for statement in block.body for n in ast.walk(statement)}
    for node in ast.walk(tree):
        if id(node) in typing_only:
            continue
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


def modules_of(root: Path, package: str) -> dict[str, Path]:
    """A package's modules by dotted name (subpackages too; a package's own
    `__init__` under the package's name); generated migrations left out."""
    found = {}
    for path in sorted(root.rglob("*.py")):
        parts = path.relative_to(root).with_suffix("").parts
        if "migrations" in parts:
            continue
        if parts[-1] == "__init__":
            parts = parts[:-1]
        found[".".join((package, *parts))] = path
    return found


def import_graph(packages: dict[str, Path] | None = None) -> dict[str, set[str]]:
    files: dict[str, Path] = {}
    for package, root in (packages or {PACKAGE: ROOT}).items():
        files |= modules_of(root, package)
    modules = set(files)
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
    typed = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from p import b\n"
    assert imports_of(typed, "p.a", modules) == set()
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


def test_the_project_has_no_import_cycle() -> None:
    graph = import_graph(PACKAGES)
    # the graph reaches into subpackages and across packages
    assert "gateway.rooms.hr" in graph and "wallet.ledger" in graph
    assert "gateway.rooms.base" in graph["gateway.rooms.hr"]
    assert "wecare_common.db" in graph["gateway.routing"]
    cycle = find_cycle(graph)
    if cycle:
        pytest.fail("import cycle: " + " -> ".join(cycle))
