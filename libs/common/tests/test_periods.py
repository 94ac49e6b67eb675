"""A period's days in order, stated once (wecare_common.contract.periods): the
contract's schemas, the services and the web app all ask it, and no other module
compares a period's two days itself."""

from __future__ import annotations

import re
from datetime import date
from pathlib import Path

from wecare_common.contract import benefits, catalog, periods

ROOT = Path(__file__).resolve().parents[3]


def test_a_period_that_ends_before_it_starts_is_out_of_order() -> None:
    said = periods.out_of_order(date(2026, 12, 31), date(2026, 1, 1))
    assert said is not None and said.code == "ends_before_start"
    assert periods.out_of_order("2026-12-31", "2026-01-01") == said  # ISO text too


def test_a_period_in_order_one_day_long_or_open_is_not() -> None:
    assert periods.out_of_order("2026-01-01", "2026-12-31") is None
    assert periods.out_of_order("2026-05-05", "2026-05-05") is None
    assert periods.out_of_order(None, "2026-01-01") is None
    assert periods.out_of_order("2026-01-01", "") is None


def test_plans_offerings_and_agreements_say_it_about_valid_until() -> None:
    plan = {"name": "Welfare", "fiscal_year": 2026, "valid_from": "2026-12-31",
            "valid_until": "2026-01-01", "categories": ["education"],
            "leftover_policy": "return_to_fund"}
    offering = {"title": "Nido", "category": "education", "price_cents": 100,
                "valid_from": "2026-12-31", "valid_until": "2026-01-01"}
    for schema, body in ((benefits.PlanRequest(), plan), (catalog.OfferingRequest(), offering),
                         (catalog.OfferingUpdate(), {"valid_from": "2026-12-31",
                                                     "valid_until": "2026-01-01"})):
        problem = schema.validate(body)[periods.FIELD][0]
        assert getattr(problem, "code", None) == "ends_before_start", (schema, problem)


def test_no_other_module_compares_a_period_s_days() -> None:
    """One holder's valid_until against its own valid_from (form["valid_until"] <
    form["valid_from"], offering.valid_from > offering.valid_until), outside periods.py
    and tests."""
    holder = r"(\w+)(?:\.|\[[\"'])"
    compare = re.compile(rf"{holder}valid_until\W{{0,3}}\s*<=?\s*\1\W{{0,2}}valid_from"
                         rf"|{holder}valid_from\W{{0,3}}\s*>=?\s*\2\W{{0,2}}valid_until")
    found = []
    for folder in ("libs", "services", "gateway", "web"):
        for path in (ROOT / folder).rglob("*.py"):
            parts = path.relative_to(ROOT).parts
            if "tests" in parts or ".venv" in parts or path.name == "periods.py":
                continue
            found += [f"{path.relative_to(ROOT)}:{n}" for n, line in enumerate(
                path.read_text().splitlines(), 1) if compare.search(line)]
    assert found == []
