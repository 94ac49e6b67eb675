"""docs/ stays true to the code (issue 14): every link and anchor resolves, every
`docs/<file>.md#section` the code cites exists, every event the code publishes is in
the event catalogue (and the catalogue lists no event the code does not publish), and
every route of the gateway is in the API's access matrix. The event names and routes
are read from the source with `ast`, not listed here. No infrastructure needed."""

from __future__ import annotations

import ast
import os
import re
from collections.abc import Iterator
from functools import cache
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EVENT_NAME = re.compile(r"^[a-z_]+\.[a-z_]+$")
# where the importable packages live: top-level package name -> its folder
PACKAGE_DIRS = {"wecare_common": ROOT / "libs/common/wecare_common",
                "gateway": ROOT / "gateway/gateway",
                **{p.name: p / p.name for p in (ROOT / "services").iterdir()
                   if (p / p.name).is_dir()}}
PUBLISHERS = {"record_event": 1, "make_envelope": 0}  # function -> index of the event name
SOURCE_SUFFIXES = {".py", ".yaml", ".yml", ".toml", ".html", ".md", ".cfg"}
SKIP_DIRS = {".venv", "var", "node_modules", ".git", "__pycache__", "vendor", ".pytest_cache",
             ".ruff_cache", "screenshots"}


# -- markdown ------------------------------------------------------------------------------
def slug(heading: str) -> str:
    """GitHub's anchor for a heading."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


@cache
def anchors(path: Path) -> frozenset[str]:
    found: list[str] = []
    in_code = False
    for line in path.read_text(encoding="utf-8").splitlines():
        if line.startswith("```"):
            in_code = not in_code
        elif not in_code and (m := re.match(r"^#{1,6}\s+(.*)$", line)):
            base = slug(m.group(1))
            n = sum(1 for a in found if a == base or re.fullmatch(re.escape(base) + r"-\d+", a))
            found.append(base if n == 0 else f"{base}-{n}")
    return frozenset(found)


def markdown_files() -> list[Path]:
    return sorted(DOCS.glob("*.md")) + [ROOT / "README.md"]


def links(path: Path) -> Iterator[tuple[int, str]]:
    in_code = False
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.startswith("```"):
            in_code = not in_code
            continue
        if in_code:
            continue
        for target in re.findall(r"\]\(([^)\s]+)\)", re.sub(r"`[^`]*`", "", line)):
            yield number, target
        for target in re.findall(r'<img src="([^"]+)"', line):
            yield number, target


def broken(source: Path, target: str) -> str | None:
    """Why `target`, linked from `source`, does not resolve (None: it does)."""
    if re.match(r"^[a-z]+:", target):  # http:, https:, mailto:
        return None
    path_part, _, anchor = target.partition("#")
    linked = (source.parent / path_part).resolve() if path_part else source
    if not linked.exists():
        return f"no file {path_part}"
    if anchor and linked.suffix == ".md" and anchor not in anchors(linked):
        return f"no section #{anchor} in {linked.relative_to(ROOT)}"
    return None


def test_every_link_in_the_docs_resolves() -> None:
    problems = [f"{path.relative_to(ROOT)}:{number}: {target}: {why}"
                for path in markdown_files() for number, target in links(path)
                if (why := broken(path, target))]
    assert not problems, "\n".join(problems)


TOP_FOLDERS = ("libs/", "services/", "gateway/", "web/", "tests/", "deploy/", "scripts/", "bench/",
               "docs/")


def test_every_path_the_docs_name_exists() -> None:
    """A file or folder named in code style (`services/wallet/wallet/ledger.py`) is where
    the docs say: moved code takes its docs along."""
    missing = [f"{path.relative_to(ROOT)}: {name}" for path in markdown_files()
               for name in re.findall(r"`([^`\s]+)`", path.read_text(encoding="utf-8"))
               if name.startswith(TOP_FOLDERS) and not re.search(r"[<>*{}…]", name)
               and not (ROOT / name).exists()]
    assert not missing, "\n".join(missing)


def source_files() -> Iterator[Path]:
    for folder, subfolders, files in os.walk(ROOT):
        subfolders[:] = [d for d in subfolders if d not in SKIP_DIRS]
        for name in files:
            path = Path(folder) / name
            if path.suffix in SOURCE_SUFFIXES or name == "Makefile":
                yield path


def test_every_docs_citation_in_the_code_resolves() -> None:
    problems = []
    cited = 0
    for path in source_files():
        if path.parent == DOCS:
            continue
        text = path.read_text(encoding="utf-8", errors="replace")
        for m in re.finditer(r"docs/([a-z0-9-]+\.md)(#[a-z0-9_-]+)?", text):
            cited += 1
            why = broken(DOCS / "README.md", m.group(1) + (m.group(2) or ""))
            if why:
                line = text.count("\n", 0, m.start()) + 1
                problems.append(f"{path.relative_to(ROOT)}:{line}: {m.group(0)}: {why}")
    assert cited, "the code cites no docs/ page: the pointers were lost"
    assert not problems, "\n".join(problems)


def test_the_code_cites_no_design_document_outside_the_repository() -> None:
    """The rules live in docs/; a citation of a design file nobody has is a dead end."""
    pattern = re.compile(r"DESIGN(\.md)?\s*§")
    found = [f"{path.relative_to(ROOT)}:{text.count(chr(10), 0, m.start()) + 1}"
             for path in source_files() if path.suffix != ".md" or path.parent != DOCS
             for text in [path.read_text(encoding="utf-8", errors="replace")]
             for m in pattern.finditer(text)]
    assert not found, "cite docs/<file>.md#section instead: " + ", ".join(found)


# -- events, read from the source ------------------------------------------------------------
def python_files() -> Iterator[Path]:
    for folder in PACKAGE_DIRS.values():
        for path in folder.rglob("*.py"):
            if not {"tests", "migrations"} & set(path.relative_to(folder).parts):
                yield path


@cache
def parsed(path: Path) -> ast.Module:
    return ast.parse(path.read_text(encoding="utf-8"), filename=str(path))


def module_file(dotted: str) -> Path | None:
    top, *rest = dotted.split(".")
    folder = PACKAGE_DIRS.get(top)
    if folder is None:
        return None
    base = folder.joinpath(*rest)
    for candidate in (base.with_suffix(".py"), base / "__init__.py"):
        if candidate.is_file():
            return candidate
    return None


@cache
def imports(path: Path) -> dict[str, tuple[str, str | None]]:
    """Local name -> (module, name in it or None for a module)."""
    found: dict[str, tuple[str, str | None]] = {}
    for node in ast.walk(parsed(path)):
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            for alias in node.names:
                sub = f"{node.module}.{alias.name}"
                found[alias.asname or alias.name] = (
                    (sub, None) if module_file(sub) else (node.module, alias.name))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                found[alias.asname or alias.name.split(".")[0]] = (alias.name, None)
    return found


@cache
def module_values(path: Path) -> dict[str, ast.expr]:
    values: dict[str, ast.expr] = {}
    for node in parsed(path).body:
        if isinstance(node, ast.Assign):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    values[target.id] = node.value
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name) and node.value:
            values[node.target.id] = node.value
    return values


class Unresolved(Exception):
    pass


def resolve(node: ast.expr, path: Path, scope: ast.AST | None, depth: int = 0) -> set[str]:
    """Every string `node` can be, as far as the source says."""
    if depth > 12:
        raise Unresolved(ast.unparse(node))
    again = lambda n, p=path, s=scope: resolve(n, p, s, depth + 1)  # noqa: E731
    if isinstance(node, ast.Constant) and isinstance(node.value, str):
        return {node.value}
    if isinstance(node, ast.IfExp):
        return again(node.body) | again(node.orelse)
    if isinstance(node, ast.Dict):
        return set().union(*(again(v) for v in node.values if v is not None))
    if isinstance(node, ast.Tuple | ast.List | ast.Set):
        return set().union(*(again(e) for e in node.elts))
    if isinstance(node, ast.Subscript):
        return again(node.value)
    if isinstance(node, ast.Call) and isinstance(node.func, ast.Name) and node.func.id in (
            "tuple", "list", "set", "frozenset") and node.args:
        return again(node.args[0])
    if isinstance(node, ast.JoinedStr):
        prefix = "".join(str(v.value) for v in node.values[:1] if isinstance(v, ast.Constant))
        names = {n for n in every_event_like_constant() if n.startswith(prefix)}
        if not prefix or not names:
            raise Unresolved(ast.unparse(node))
        return names
    if isinstance(node, ast.Name):
        if scope is not None:
            assigned = [a.value for a in ast.walk(scope) if isinstance(a, ast.Assign)
                        and any(isinstance(t, ast.Name) and t.id == node.id for t in a.targets)]
            if assigned:
                return set().union(*(again(v) for v in assigned))
        if node.id in module_values(path):
            return resolve(module_values(path)[node.id], path, None, depth + 1)
        if node.id in imports(path):
            module, name = imports(path)[node.id]
            target = module_file(module)
            if target is not None and name is not None and name in module_values(target):
                return resolve(module_values(target)[name], target, None, depth + 1)
    if isinstance(node, ast.Attribute) and isinstance(node.value, ast.Name):
        module, name = imports(path).get(node.value.id, (None, None))
        target = module_file(module) if module and name is None else None
        if target is not None and node.attr in module_values(target):
            return resolve(module_values(target)[node.attr], target, None, depth + 1)
    raise Unresolved(ast.unparse(node))


@cache
def every_event_like_constant() -> frozenset[str]:
    return frozenset(n.value for path in python_files() for n in ast.walk(parsed(path))
                     if isinstance(n, ast.Constant) and isinstance(n.value, str)
                     and EVENT_NAME.match(n.value))


def enclosing_functions(tree: ast.Module) -> dict[ast.AST, ast.AST]:
    """Each node -> the innermost function it is in."""
    parents: dict[ast.AST, ast.AST] = {}

    def visit(node: ast.AST, function: ast.AST | None) -> None:
        for child in ast.iter_child_nodes(node):
            if function is not None:
                parents[child] = function
            inner = child if isinstance(child, ast.FunctionDef | ast.AsyncFunctionDef) else None
            visit(child, inner or function)

    visit(tree, None)
    return parents


def published_events() -> dict[str, list[str]]:
    """Event name -> where the code publishes it."""
    found: dict[str, list[str]] = {}
    unresolved = []
    for path in python_files():
        tree = parsed(path)
        scopes = enclosing_functions(tree)
        for call in ast.walk(tree):
            if not isinstance(call, ast.Call):
                continue
            func = call.func
            name = func.id if isinstance(func, ast.Name) else (
                func.attr if isinstance(func, ast.Attribute) else None)
            index = PUBLISHERS.get(name or "")
            if index is None or len(call.args) <= index:
                continue
            arg, scope = call.args[index], scopes.get(call)
            params = {a.arg for a in scope.args.args + scope.args.kwonlyargs} if isinstance(
                scope, ast.FunctionDef | ast.AsyncFunctionDef) else set()
            if isinstance(arg, ast.Name) and arg.id in params and not any(
                    isinstance(a, ast.Assign) and any(
                        isinstance(t, ast.Name) and t.id == arg.id for t in a.targets)
                    for a in ast.walk(scope)):  # type: ignore[arg-type]
                continue  # a helper passing its caller's name on (record_event itself)
            where = f"{path.relative_to(ROOT)}:{call.lineno}"
            try:
                for event in resolve(arg, path, scope):
                    found.setdefault(event, []).append(where)
            except Unresolved as exc:
                unresolved.append(f"{where}: {exc}")
    assert not unresolved, "cannot tell which event these publish:\n" + "\n".join(unresolved)
    return found


def catalogued_events() -> set[str]:
    text = (DOCS / "events.md").read_text(encoding="utf-8")
    catalogue = text.split("\n## Catalogue", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \|", catalogue, re.MULTILINE))


def test_the_reader_finds_every_published_event() -> None:
    published = published_events()
    assert len(published) >= 20, sorted(published)  # the reader still finds the publishers
    for event in published:
        assert EVENT_NAME.match(event), f"{event} is not an event name ({published[event]})"
    missing = {e: w for e, w in published.items() if e not in catalogued_events()}
    assert not missing, f"published, not in docs/events.md#catalogue: {missing}"


def test_the_catalogue_lists_only_events_the_code_publishes() -> None:
    extra = catalogued_events() - set(published_events())
    assert not extra, f"docs/events.md lists events no code publishes: {sorted(extra)}"


# -- routes ---------------------------------------------------------------------------------------
def gateway_routes() -> dict[tuple[str, str], str]:
    """(method, path) -> the room (file under gateway/gateway/rooms/) declaring it."""
    routes = {}
    for path in PACKAGE_DIRS["gateway"].rglob("*.py"):
        for node in ast.walk(parsed(path)):
            if (isinstance(node, ast.Call) and isinstance(node.func, ast.Name)
                    and node.func.id == "api" and len(node.args) >= 2
                    and all(isinstance(a, ast.Constant) for a in node.args[:2])):
                method, url = (a.value for a in node.args[:2])
                key = (method, re.sub(r"<(?:[a-z]+:)?([a-z_]+)>", r"{\1}", url))
                routes[key] = path.relative_to(PACKAGE_DIRS["gateway"] / "rooms").as_posix() if (
                    "rooms" in path.parts) else path.name
    return routes


def test_every_route_is_in_the_access_matrix_with_its_room() -> None:
    routes = gateway_routes()
    assert len(routes) >= 50, sorted(routes)
    text = (DOCS / "api.md").read_text(encoding="utf-8")
    rows = re.findall(r"^\| ([A-Z]+) \| `([^`]+)` \|.*\| `([a-z_/]+\.py)` \|$", text, re.MULTILINE)
    matrix = {(method, path): room for method, path, room in rows}
    assert not routes.keys() - matrix.keys(), (
        f"missing from docs/api.md#access-matrix: {sorted(routes.keys() - matrix.keys())}")
    assert not matrix.keys() - routes.keys(), (
        f"in docs/api.md, not in the code: {sorted(matrix.keys() - routes.keys())}")
    moved = {r: (matrix[r], routes[r]) for r in routes if matrix[r] != routes[r]}
    assert not moved, f"declared in another room than docs/api.md says (doc, code): {moved}"
