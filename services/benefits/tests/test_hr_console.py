"""What HR's console asks of benefits, on real PostgreSQL: the employees table
(searched, sorted, paged, filtered), the import's dry run (every bad row and
nothing written), the company's plans, and a grant checked before it is sent
(budget, bonus cap and eligibility, everyone eligible)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date
from typing import Any

import pytest
from benefits import domain, imports
from benefits.models import Base, Employee, outbox
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from wecare_common.errors import InvalidInput
from wecare_common.outbox import outbox_sessionmaker


@pytest.fixture(scope="module")
def factory(engines) -> Iterator[sessionmaker[Session]]:
    engine = engines("benefits")
    yield outbox_sessionmaker(engine, Base.metadata)
    with engine.begin() as conn:  # no later benefits service relays these strangers' events
        conn.execute(outbox.delete().where(outbox.c.sent_at.is_(None)))


def _wallet_grant(**kwargs: Any) -> dict[str, Any]:
    return {"transaction_id": str(uuid.uuid4()),
            "total_cents": kwargs["amount_cents"] * len(kwargs["employee_ids"])}


class Company:
    def __init__(self, factory: sessionmaker[Session], fake) -> None:
        self.factory, self.fake = factory, fake
        with factory() as s:
            self.id = domain.create_company(s, {
                "name": "Officine Test", "vat_number": fake.vat_number(),
                "hr_manager": {"email": fake.email("hr"), "first_name": "Giulia",
                               "last_name": "Neri"}})["id"]
            s.commit()

    def employee(self, first: str = "Anna", last: str = "Blu", **extra: Any) -> dict:
        data = {"email": self.fake.email("employee"), "first_name": first, "last_name": last,
                "fiscal_code": self.fake.fiscal_code(), "dependent_children": [],
                "language": "it", "group": None, "hire_date": None, "income_band": None,
                **extra}
        with self.factory() as s:
            view = domain.enroll_employee(s, self.id, data)
            s.commit()
            return view

    def plan(self, year: int = 2026, **extra: Any) -> str:
        with self.factory() as s:
            view = domain.create_plan(s, self.id, {
                "name": f"Welfare {year}", "fiscal_year": year,
                "valid_from": date(year, 1, 1), "valid_until": date(year, 12, 31),
                "categories": ["education"], "leftover_policy": "return_to_fund",
                "target_groups": None, "per_employee_budget_cents": None, **extra})
            s.commit()
            return view["id"]

    def table(self, **query: Any) -> dict:
        with self.factory() as s:
            return domain.list_employees(s, self.id, **{"limit": 50, **query})

    def check(self, plan_id: str, **data: Any) -> dict:
        with self.factory() as s:
            return domain.grant_preview(s, company_id=self.id, plan_id=plan_id, data={
                "employee_ids": None, "all": False, "source": "company", **data})

    def grant(self, plan_id: str, **data: Any) -> dict:
        with self.factory() as s:
            result = domain.grant_credits(
                s, company_id=self.id, plan_id=plan_id, idempotency_key=uuid.uuid4().hex,
                data={"employee_ids": None, "all": False, "source": "company", **data},
                wallet_grant=_wallet_grant)
            s.commit()
            return result


def names(table: dict) -> list[str]:
    return [f"{e['last_name']} {e['first_name']}" for e in table["items"]]


def test_the_table_searches_sorts_and_pages_with_the_total(factory, fake) -> None:
    company = Company(factory, fake)
    for first, last in [("Mario", "Rossi"), ("Anna", "Bianchi"), ("Luca", "Verdi"),
                        ("Eva", "Rossini"), ("Zoe", "Abate")]:
        company.employee(first, last)
    assert names(company.table(sort="name")) == [
        "Abate Zoe", "Bianchi Anna", "Rossi Mario", "Rossini Eva", "Verdi Luca"]
    assert names(company.table(sort="name", order="desc"))[0] == "Verdi Luca"
    first = company.table(sort="name", page=1, limit=2)
    second = company.table(sort="name", page=2, limit=2)
    last = company.table(sort="name", page=3, limit=2)
    assert (first["total"], first["pages"]) == (5, 3)
    assert names(first) + names(second) + names(last) == names(company.table(sort="name"))
    assert names(company.table(sort="name", q="ROSS")) == ["Rossi Mario", "Rossini Eva"]
    assert company.table(sort="name", q="ross")["total"] == 2
    assert names(company.table(sort="name", q="mario ross")) == ["Rossi Mario"]
    # a LIKE wildcard typed by someone is a character like any other
    assert company.table(sort="name", q="%")["total"] == 0
    assert company.table(q="_")["total"] == 0


def test_the_table_filters_by_status_group_and_ids(factory, fake) -> None:
    company = Company(factory, fake)
    office = company.employee("Anna", "Blu", group="impiegati")
    company.employee("Luca", "Neri", group="operai")
    gone = company.employee("Eva", "Gialli")
    with factory() as s:
        domain.depart(s, company.id, gone["id"], date.today())
        s.commit()
    assert names(company.table(sort="name", status="left")) == ["Gialli Eva"]
    assert company.table(sort="name", status="active")["total"] == 2
    assert names(company.table(group="impiegati")) == ["Blu Anna"]
    assert names(company.table(ids=[office["id"], gone["id"]], sort="name")) == [
        "Blu Anna", "Gialli Eva"]
    # another company's employees are never in this company's table
    other = Company(factory, fake)
    assert other.table(ids=[office["id"]])["items"] == []


def test_the_default_cursor_pages_still_walk_the_whole_table(factory, fake) -> None:
    company = Company(factory, fake)
    added = [company.employee(f"N{i}", f"L{i}")["id"] for i in range(5)]
    seen, cursor = [], None
    while True:
        page = company.table(limit=2, cursor=cursor)
        assert page["total"] == 5
        seen += [e["id"] for e in page["items"]]
        cursor = page["next_cursor"]
        if not cursor:
            break
    assert seen == added


def test_the_name_order_is_read_from_an_index(factory, fake, engines) -> None:
    """10,000 employees stay fast: the table's default order needs no sort step."""
    with engines("benefits").connect() as conn:
        indexes = conn.exec_driver_sql(
            "SELECT indexdef FROM pg_indexes WHERE schemaname = 'benefits' "
            "AND tablename = 'employees'").scalars().all()
    assert any("(company_id, last_name, first_name, seq)" in i for i in indexes), indexes


def _csv(*rows: str) -> str:
    return "\n".join(["codice_fiscale;nome;cognome;email;gruppo", *rows]) + "\n"


def test_the_dry_run_lists_every_bad_row_and_writes_nothing(factory, fake) -> None:
    company = Company(factory, fake)
    taken = company.employee()
    good = [fake.fiscal_code() for _ in range(2)]
    text = _csv(f"{good[0]};Anna;Blu;{fake.email()};impiegati",
                f"RSSMRA85T10A562X;Bad;Code;{fake.email()};",
                f"{good[1]};Luca;Verdi;not-an-email;",
                f"{taken['fiscal_code']};Eva;Neri;{fake.email()};",
                f"{good[0]};Anna;Bis;{fake.email()};")
    with factory() as s:
        before = s.scalar(select(func.count()).select_from(Employee).where(
            Employee.company_id == company.id))
        preview = imports.preview(s, company.id, text)
        s.rollback()
    assert preview["valid"] is False and preview["rows"] == 5
    assert set(preview["errors"]) == {"3", "4", "5", "6"}
    assert "check character" in str(preview["errors"]["3"]["fiscal_code"])
    assert "email" in preview["errors"]["4"]
    assert preview["errors"]["5"] == {"fiscal_code": ["already enrolled"]}
    assert preview["errors"]["6"]["fiscal_code"] == ["repeats row 2"]
    assert [(e["row"], e["last_name"]) for e in preview["employees"]] == [(2, "Blu")]
    with factory() as s:
        after = s.scalar(select(func.count()).select_from(Employee).where(
            Employee.company_id == company.id))
    assert after == before == 1

    fixed = _csv(f"{good[0]};Anna;Blu;{fake.email()};impiegati",
                 f"{good[1]};Luca;Verdi;{fake.email()};")
    with factory() as s:
        preview = imports.preview(s, company.id, fixed)
    assert preview["valid"] and preview["importable"] == 2 and preview["errors"] == {}
    assert preview["employees"][0]["group"] == "impiegati"
    with factory() as s, pytest.raises(InvalidInput, match="unknown column"):
        imports.preview(s, company.id, "nome;colore\nAnna;blu\n")


def test_plans_are_listed_the_latest_year_first(factory, fake) -> None:
    company = Company(factory, fake)
    company.plan(2025)
    latest = company.plan(2026, per_employee_budget_cents=50_000, target_groups=["operai"])
    with factory() as s:
        plans = domain.list_plans(s, company.id)["items"]
    assert [p["fiscal_year"] for p in plans] == [2026, 2025]
    assert plans[0]["id"] == latest and plans[0]["per_employee_budget_cents"] == 50_000
    assert plans[0]["target_groups"] == ["operai"]


def test_a_grant_check_names_who_the_budget_would_refuse_and_moves_nothing(
        factory, fake) -> None:
    company = Company(factory, fake)
    anna, luca = company.employee()["id"], company.employee("Luca", "Neri")["id"]
    plan = company.plan(per_employee_budget_cents=30_000)
    company.grant(plan, amount_cents=20_000, employee_ids=[anna])
    check = company.check(plan, amount_cents=15_000, all=True)
    assert (check["employee_count"], check["total_cents"]) == (2, 30_000)
    assert check["problems"] == [{"employee_id": anna, "reason": "budget",
                                  "room_cents": 10_000}]
    # nothing was counted: the same grant is still refused the same way, Luca still fits
    assert company.check(plan, amount_cents=15_000, all=True)["problem_count"] == 1
    assert company.check(plan, amount_cents=30_000, employee_ids=[luca])["problems"] == []


def test_converting_a_bonus_to_everyone_takes_only_those_eligible(factory, fake) -> None:
    company = Company(factory, fake)
    anna = company.employee(income_band="up_to_80k")["id"]
    company.employee("Luca", "Neri", income_band="over_80k")
    company.employee("Eva", "Gialli")  # income band not declared
    plan = company.plan(2026)
    check = company.check(plan, amount_cents=100_000, all=True, source="performance_bonus")
    assert (check["employee_count"], check["excluded_count"]) == (1, 2)
    assert check["employee_ids"] == [anna] and check["problems"] == []
    assert check["bonus_cap_cents"] == 500_000  # L. 199/2025 art. 1 c. 9
    granted = company.grant(plan, amount_cents=100_000, all=True, source="performance_bonus")
    assert granted["employee_ids"] == [anna] and granted["employee_count"] == 1
    over = company.check(plan, amount_cents=450_000, all=True, source="performance_bonus")
    assert over["problems"] == [{"employee_id": anna, "reason": "bonus_cap",
                                 "room_cents": 400_000}]


def test_choosing_someone_over_the_income_ceiling_is_named_before_sending(factory, fake) -> None:
    company = Company(factory, fake)
    high = company.employee(income_band="over_80k")["id"]
    plan = company.plan(2025)
    check = company.check(plan, amount_cents=1_000, employee_ids=[high],
                          source="performance_bonus")
    assert check["problems"] == [{"employee_id": high, "reason": "income_band",
                                  "room_cents": 0}]
    assert check["bonus_cap_cents"] == 300_000


def test_nobody_eligible_is_a_count_of_zero_not_an_error(factory, fake) -> None:
    company = Company(factory, fake)
    company.employee(income_band="over_80k")
    plan = company.plan(2026)
    check = company.check(plan, amount_cents=1_000, all=True, source="performance_bonus")
    assert (check["employee_count"], check["excluded_count"]) == (0, 1)
