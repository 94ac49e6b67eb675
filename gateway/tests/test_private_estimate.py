"""An employee's own income estimate is theirs alone (issue 25, docs/fiscal-rules.md#estimates):
the code that reads it is reached only from the employee room, and there only for the
signed-in person. tests/e2e/test_worth.py checks the same from outside, through every
read HR has."""

from __future__ import annotations

import ast
from pathlib import Path

GATEWAY = Path(__file__).resolve().parents[1] / "gateway"


def _modules() -> dict[str, ast.Module]:
    return {str(p.relative_to(GATEWAY)): ast.parse(p.read_text(encoding="utf-8"))
            for p in GATEWAY.rglob("*.py") if "migrations" not in p.parts}


def _names(tree: ast.Module) -> set[str]:
    found = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom):
            found |= {f"{node.module}.{a.name}" for a in node.names} | {node.module or ""}
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names}
        elif isinstance(node, ast.Name | ast.Attribute):
            found.add(node.id if isinstance(node, ast.Name) else node.attr)
    return found


def test_only_the_employee_room_reaches_the_income_estimates() -> None:
    readers = {name for name, tree in _modules().items()
               if {"gateway.estimates", "IncomeEstimate", "gateway.models.IncomeEstimate"}
               & _names(tree)}
    assert readers == {"estimates.py", "rooms/employee.py"}, readers


def test_the_employee_room_asks_only_for_the_signed_in_person_s_own() -> None:
    tree = _modules()["rooms/employee.py"]
    calls = [node for node in ast.walk(tree) if isinstance(node, ast.Call)
             and isinstance(node.func, ast.Attribute)
             and isinstance(node.func.value, ast.Name) and node.func.value.id == "estimates"]
    assert calls, "the employee room no longer reads the estimate"
    for call in calls:
        user = ast.unparse(call.args[1])
        assert user == "call.principal.user_id", ast.unparse(call)


def test_every_route_of_the_employee_room_that_reads_it_is_for_employees_only() -> None:
    tree = _modules()["rooms/employee.py"]
    for function in (n for n in ast.walk(tree) if isinstance(n, ast.FunctionDef)):
        if "estimates" not in {n.id for n in ast.walk(function) if isinstance(n, ast.Name)}:
            continue
        route = next(d for d in function.decorator_list if isinstance(d, ast.Call)
                     and ast.unparse(d.func) == "api")
        roles = next(k.value for k in route.keywords if k.arg == "roles")
        assert ast.literal_eval(roles) == ("employee",), function.name
