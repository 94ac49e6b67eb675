"""Changing a running plan (benefits.plans): the rules alone, without any
server, then on real PostgreSQL with grants made (the version raised, the
`plan.changed` event, the budget counted, an ended plan left alone)."""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import pytest
from benefits import domain, plans
from benefits.models import Base, outbox
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker
from wecare_common.errors import InvalidInput, NotFound, RuleViolation
from wecare_common.outbox import outbox_sessionmaker

TODAY = date(2026, 6, 15)
PLAN = {"name": "Welfare 2026", "valid_from": "2026-01-01", "valid_until": "2026-12-31",
        "categories": ["education", "fringe"], "per_employee_budget_cents": 50_000}


def problems(changes: dict[str, Any], plan: dict[str, Any] | None = None, granted: bool = True,
             most: int = 30_000) -> dict[str, list[str]]:
    return plans.check_changes({**PLAN, **(plan or {})}, changes, today=TODAY,
                               granted=granted, most_granted_cents=most)


# -- the rules, without any server ---------------------------------------------------------
def test_a_plan_ends_later_or_earlier_but_not_before_today() -> None:
    assert problems({"valid_until": date(2027, 3, 31)}) == {}
    assert problems({"valid_until": date(2026, 9, 30)}) == {}
    assert problems({"valid_until": date(2026, 6, 14)}) == {
        "valid_until": ["must not be before today"]}
    assert problems({"valid_until": date(2025, 12, 31)}) == {
        "valid_until": ["must not be before valid_from"]}


def test_with_credit_granted_a_plan_ends_no_sooner_than_the_first_notice() -> None:
    soon = {"valid_until": TODAY + timedelta(days=13)}
    assert problems(soon) == {"valid_until": [
        "not before 2026-06-29: credit was granted on this plan and employees are told 14 days "
        "before it ends"]}
    assert problems({"valid_until": TODAY + timedelta(days=14)}) == {}
    assert problems(soon, granted=False) == {}  # nobody holds credit on it yet: any day
    # a plan that already ends within 14 days may still be lengthened, or kept
    ending = {"valid_until": (TODAY + timedelta(days=5)).isoformat()}
    assert problems({"valid_until": TODAY + timedelta(days=8)}, ending) == {}
    assert problems({"valid_until": TODAY + timedelta(days=5)}, ending) == {}
    assert problems({"valid_until": TODAY + timedelta(days=4)}, ending) == {"valid_until": [
        "not before 2026-06-20: credit was granted on this plan and employees are told 14 days "
        "before it ends"]}


def test_categories_are_only_added() -> None:
    assert problems({"categories": ["education", "fringe", "wellbeing"]}) == {}
    assert problems({"categories": ["wellbeing"]}) == {"categories": [
        "categories can be added, not removed: education, fringe stay in the plan"]}


def test_the_budget_stays_above_what_one_employee_was_granted() -> None:
    assert problems({"per_employee_budget_cents": 30_000}) == {}
    assert problems({"per_employee_budget_cents": 80_000}) == {}
    assert problems({"per_employee_budget_cents": None}) == {}  # lifted
    assert problems({"per_employee_budget_cents": 29_999}) == {"per_employee_budget_cents": [
        "not below 300,00 €: already granted to an employee on this plan"]}
    unbudgeted = {"per_employee_budget_cents": None}
    assert problems({"per_employee_budget_cents": 10_000}, unbudgeted) == {
        "per_employee_budget_cents": ["a budget can be set only before the plan's first grant"]}
    assert problems({"per_employee_budget_cents": 10_000}, unbudgeted, granted=False,
                    most=0) == {}


def test_names_groups_and_the_leftover_policy_change_freely() -> None:
    assert problems({"name": "Welfare 2026 bis", "target_groups": ["operai"],
                     "leftover_policy": "roll_over"}) == {}


# -- on PostgreSQL ---------------------------------------------------------------------------
@pytest.fixture(scope="module")
def factory(engines) -> Iterator[sessionmaker[Session]]:
    engine = engines("benefits")
    yield outbox_sessionmaker(engine, Base.metadata)
    with engine.begin() as conn:  # no later benefits service relays these strangers' events
        conn.execute(outbox.delete().where(outbox.c.sent_at.is_(None)))


def _wallet_grant(**kwargs: Any) -> dict[str, Any]:
    return {"transaction_id": str(uuid.uuid4()),
            "total_cents": kwargs["amount_cents"] * len(kwargs["employee_ids"])}


class World:
    """A company with two employees and a plan running from a month ago."""

    def __init__(self, factory: sessionmaker[Session], fake, **plan: Any) -> None:
        self.factory = factory
        today = date.today()
        with factory() as s:
            self.company = domain.create_company(s, {
                "name": "Officine Test", "vat_number": fake.vat_number(),
                "hr_manager": {"email": fake.email("hr"), "first_name": "Giulia",
                               "last_name": "Neri"}})["id"]
            self.people = [domain.enroll_employee(s, self.company, {
                "email": fake.email("employee"), "first_name": "Anna", "last_name": "Blu",
                "fiscal_code": fake.fiscal_code(), "dependent_children": [], "language": "it",
                "group": group, "hire_date": None, "income_band": None})["id"]
                for group in ("impiegati", "operai")]
            self.plan = domain.create_plan(s, self.company, {
                "name": "Welfare", "fiscal_year": today.year,
                "valid_from": today - timedelta(days=30),
                "valid_until": today + timedelta(days=90),
                "categories": ["education"], "leftover_policy": "return_to_fund",
                "target_groups": None, "per_employee_budget_cents": 50_000, **plan})["id"]
            s.commit()

    def change(self, **changes: Any) -> dict[str, Any]:
        with self.factory() as s:
            view = plans.change_plan(s, self.company, self.plan, changes)
            s.commit()
            return view

    def grant(self, cents: int, *people: str) -> None:
        with self.factory() as s:
            domain.grant_credits(s, company_id=self.company, plan_id=self.plan,
                                 idempotency_key=uuid.uuid4().hex, data={
                                     "employee_ids": list(people), "all": False,
                                     "source": "company", "amount_cents": cents},
                                 wallet_grant=_wallet_grant)

    def events(self) -> list[dict[str, Any]]:
        with self.factory() as s:
            rows = s.execute(select(outbox.c.envelope)
                             .where(outbox.c.event_type.like("plan.%"))
                             .order_by(outbox.c.seq)).all()
        return [r.envelope["payload"] for r in rows
                if r.envelope["payload"]["id"] == self.plan]


def test_a_change_raises_the_version_and_says_what_changed(factory, fake) -> None:
    world = World(factory, fake)
    later = date.today() + timedelta(days=200)
    view = world.change(name="Welfare bis", valid_until=later,
                        categories=["education", "wellbeing"], target_groups=[" operai ", ""],
                        leftover_policy="roll_over")
    assert view["version"] == 2 and view["valid_until"] == later.isoformat()
    assert view["categories"] == ["education", "wellbeing"]
    assert view["target_groups"] == ["operai"] and view["leftover_policy"] == "roll_over"
    created, changed = world.events()
    assert created["version"] == 1
    assert changed["version"] == 2 and changed["changed"] == [
        "name", "valid_until", "categories", "target_groups", "leftover_policy"]
    # the same again changes nothing: no new version, no event
    assert world.change(name="Welfare bis")["version"] == 2
    assert len(world.events()) == 2


def test_the_budget_is_counted_from_the_grants_made(factory, fake) -> None:
    world = World(factory, fake)
    anna, luca = world.people
    world.grant(20_000, anna, luca)
    world.grant(15_000, anna)
    with pytest.raises(RuleViolation) as refused:
        world.change(per_employee_budget_cents=34_999)
    assert refused.value.fields == {"per_employee_budget_cents": [
        "not below 350,00 €: already granted to an employee on this plan"]}
    assert world.change(per_employee_budget_cents=35_000)["per_employee_budget_cents"] == 35_000
    # the lowered budget holds for the next grant
    with pytest.raises(RuleViolation):
        world.grant(1, anna)
    world.grant(15_000, luca)
    # lifted, it cannot come back once credit was granted
    assert world.change(per_employee_budget_cents=None)["per_employee_budget_cents"] is None
    with pytest.raises(RuleViolation) as refused:
        world.change(per_employee_budget_cents=100_000)
    assert "before the plan's first grant" in refused.value.fields[
        "per_employee_budget_cents"][0]


def test_granted_credit_keeps_the_end_at_least_two_weeks_away(factory, fake) -> None:
    world = World(factory, fake)
    in_ten_days = date.today() + timedelta(days=10)
    assert world.change(valid_until=in_ten_days)["valid_until"] == in_ten_days.isoformat()
    world.change(valid_until=date.today() + timedelta(days=90))
    world.grant(10_000, world.people[0])
    with pytest.raises(RuleViolation) as refused:
        world.change(valid_until=in_ten_days)
    assert refused.value.fields["valid_until"][0].startswith(
        f"not before {(date.today() + timedelta(days=14)).isoformat()}:")
    with pytest.raises(RuleViolation) as refused:
        world.change(categories=["fringe"])
    assert "education stay in the plan" in refused.value.fields["categories"][0]


def test_what_cannot_change_and_whose_plan_it_is(factory, fake) -> None:
    world = World(factory, fake)
    with pytest.raises(InvalidInput) as refused:
        world.change(fiscal_year=2030)
    assert refused.value.fields == {"fiscal_year": ["cannot be changed"]}
    with pytest.raises(InvalidInput):
        world.change()
    other = World(factory, fake)
    with factory() as s, pytest.raises(NotFound):
        plans.change_plan(s, other.company, world.plan, {"name": "mine now"})


def test_an_ended_plan_does_not_change(factory, fake) -> None:
    today = date.today()
    world = World(factory, fake, valid_from=today - timedelta(days=60),
                  valid_until=today - timedelta(days=1))
    with pytest.raises(RuleViolation) as refused:
        world.change(valid_until=today + timedelta(days=30))
    assert refused.value.message.startswith("this plan ended on")
