"""Migrations an upgrade can run while the old version serves (docs/operations.md#upgrades):
each service's migrations form one line (one head: two heads stop the migration Job), and
a migration only expands the schema (adds tables, nullable columns, indexes; relaxes
constraints) unless it says, in a module-level `contract = "..."`, what it removes and
why the version before it no longer needs it: a contract step ships one release after the
code stopped using what it drops. Read from the source with `ast`; nothing is run."""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
VERSIONS = sorted([*ROOT.glob("services/*/*/migrations/versions"),
                   ROOT / "gateway/gateway/migrations/versions"])
# what an old version's code may still need: gone, renamed, retyped or made required
# (raw SQL, `op.execute`, cannot be read here: it follows the same rule by review)
CONTRACTING = {"drop_column", "drop_table", "rename_table", "drop_constraint", "drop_index"}
# written before the rule (each checked by hand: initial schemas, and relaxing steps)
BEFORE_THE_RULE = {
    "benefits/0001_initial_schema.py", "catalog/0001_initial_schema.py",
    "gateway/0001_initial_schema.py", "notifications/0001_initial_schema.py",
    "wallet/0001_initial_schema.py",
    "wallet/0007_ledger_references_per_statement.py",  # FKs → statement triggers (relaxes)
}


def _assigned(tree: ast.Module, name: str) -> object:
    for node in tree.body:
        if isinstance(node, ast.Assign) and any(
                isinstance(t, ast.Name) and t.id == name for t in node.targets):
            return ast.literal_eval(node.value)
    return None


def _upgrade(tree: ast.Module) -> ast.FunctionDef:
    return next(n for n in tree.body if isinstance(n, ast.FunctionDef) and n.name == "upgrade")


def contracting_calls(upgrade: ast.FunctionDef) -> list[str]:
    """The operations of `upgrade()` an older version's code could trip over."""
    found = []
    for node in ast.walk(upgrade):
        if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
            continue
        name = node.func.attr
        keywords = {k.arg: k.value for k in node.keywords}
        if name in CONTRACTING:
            found.append(name)
        elif name == "alter_column" and (
                "type_" in keywords or "new_column_name" in keywords
                or ("nullable" in keywords and isinstance(keywords["nullable"], ast.Constant)
                    and keywords["nullable"].value is False)):
            found.append("alter_column (" + ", ".join(sorted(set(keywords) & {
                "type_", "new_column_name", "nullable"})) + ")")
    return sorted(found)


def test_each_service_migrates_along_one_line() -> None:
    for folder in VERSIONS:
        revisions, parents = set(), set()
        for path in folder.glob("*.py"):
            tree = ast.parse(path.read_text())
            revisions.add(_assigned(tree, "revision"))
            down = _assigned(tree, "down_revision")
            parents |= set(down) if isinstance(down, tuple) else {down}
        heads = revisions - parents
        assert len(heads) == 1, f"{folder.relative_to(ROOT)}: heads {sorted(heads)}"


def test_a_migration_only_expands_unless_it_says_why_it_may_contract() -> None:
    checked = 0
    for folder in VERSIONS:
        service = folder.parents[2].name if folder.parents[2].name != "gateway" else "gateway"
        for path in sorted(folder.glob("*.py")):
            if f"{service}/{path.name}" in BEFORE_THE_RULE:
                continue
            tree = ast.parse(path.read_text())
            contracting = contracting_calls(_upgrade(tree))
            reason = _assigned(tree, "contract")
            assert not contracting or (isinstance(reason, str) and len(reason) > 20), (
                f"{path.relative_to(ROOT)} contracts the schema ({', '.join(contracting)}) "
                "while the version before it may still run: expand now, contract a release "
                "later with `contract = \"what the old code no longer uses, since which "
                "version\"` (docs/operations.md#upgrades)")
            checked += 1
    assert checked >= 20


def test_the_rule_sees_what_contracts() -> None:
    source = '''
def upgrade():
    op.add_column("t", sa.Column("c", sa.Integer(), nullable=True))
    op.create_index("ix", "t", ["c"])
    with op.batch_alter_table("t") as batch:
        batch.alter_column("a", existing_type=sa.String(), nullable=True)
        batch.alter_column("b", existing_type=sa.String(), nullable=False)
        batch.drop_column("d")
    op.rename_table("t", "u")
'''
    found = contracting_calls(_upgrade(ast.parse(source)))
    assert found == ["alter_column (nullable)", "drop_column", "rename_table"]
