"""Grants in memory (docs/domain.md#grants), the wallet a fake passed in as the
service passes its RPC proxy: to whom (either listed or everyone eligible, each
once, each active here), the plan's per-employee budget, the performance-bonus
conversion's income ceiling and cap, the preview naming who would be refused;
recorded first, the wallet called with nothing open, a refusal giving the room
back. A refused grant writes nothing and moves nothing."""

from __future__ import annotations

import uuid
from datetime import timedelta
from typing import Any

import pytest
from benefits import domain, fiscal_rules, plans
from benefits.models import BonusConversion, BudgetUse, Grant
from benefits.schemas import GrantRequest, PlanChange
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker
from wecare_common.contract import events
from wecare_common.errors import (
    InsufficientFunds,
    InvalidInput,
    NotFound,
    RuleViolation,
    ServiceTimeout,
)
from wecare_common.schemas import load


class Wallet:
    """The wallet as benefits calls it: keyed by the grant (a retry moves nothing
    more); it may refuse, or be out of reach after moving the money. Each call
    checks that benefits holds no transaction, and that the grant is already
    recorded (pending) where another session can read it."""

    def __init__(self, session: Session, factory: sessionmaker[Session]) -> None:
        self.session, self.factory = session, factory
        self.moved: dict[str, dict[str, Any]] = {}
        self.calls: list[dict[str, Any]] = []
        self.refuse = self.away = False

    def __call__(self, **kw: Any) -> dict[str, Any]:
        assert not self.session.in_transaction(), "the wallet called inside a transaction"
        with self.factory() as other:
            assert other.scalar(select(Grant.status).where(Grant.id == kw["grant_id"])) == (
                "pending"), "the wallet called before the grant was recorded"
        self.calls.append(kw)
        if self.refuse:
            raise InsufficientFunds("the company fund is short for this grant",
                                    {"amount_cents": ["100 cents missing"]})
        moved = self.moved.setdefault(kw["idempotency_key"], {
            "transaction_id": str(uuid.uuid4()),
            "total_cents": kw["amount_cents"] * len(kw["employee_ids"])})
        if self.away:
            raise ServiceTimeout("the wallet service did not answer within 60s")
        return moved


@pytest.fixture
def wallet(memory_session: Session, memory_factory: sessionmaker[Session]) -> Wallet:
    return Wallet(memory_session, memory_factory)


WRITTEN_CHOICE = "Accordo aziendale 2026: le scelte firmate dei dipendenti"


def _written(data: dict[str, Any]) -> dict[str, Any]:
    """HR converts a bonus directly only saying where the employees' choice is recorded."""
    if data.get("source") == "performance_bonus":
        data.setdefault("choice_record", WRITTEN_CHOICE)
    return data


def grant(hr, wallet: Wallet, plan: dict, key: str | None = None,
          **data: Any) -> dict[str, Any]:
    _written(data)
    return hr.request(lambda: domain.grant_credits(
        hr.session, company_id=hr.company_id, plan_id=plan["id"],
        data=load(GrantRequest, data), idempotency_key=key or str(uuid.uuid4()),
        wallet_grant=wallet))


def preview(hr, plan: dict, **data: Any) -> dict[str, Any]:
    return domain.grant_preview(hr.session, company_id=hr.company_id, plan_id=plan["id"],
                                data=load(GrantRequest, _written(data)))


def rows(hr, model: type) -> int:
    return hr.session.scalar(select(func.count()).select_from(model)) or 0


def budget_used(hr, plan: dict) -> dict[str, int]:
    return dict(hr.session.execute(select(BudgetUse.employee_id, BudgetUse.granted_cents)
                                   .where(BudgetUse.plan_id == plan["id"])).all())


def converted(hr) -> dict[str, int]:
    return dict(hr.session.execute(select(BonusConversion.employee_id,
                                          BonusConversion.converted_cents)).all())


def granted(hr) -> list[dict[str, Any]]:
    return [e["payload"] for e in hr.events(events.CREDITS_GRANTED)]


# -- to whom ---------------------------------------------------------------------------
@pytest.mark.parametrize(("data", "field"), [
    ({"amount_cents": 100}, "employee_ids"),  # neither
    ({"amount_cents": 100, "employee_ids": ["a"], "all": True}, "employee_ids"),  # both
    ({"amount_cents": 100, "employee_ids": ["a", "a"]}, "employee_ids"),  # twice
    ({"amount_cents": 0, "all": True}, "amount_cents"),
    ({"amount_cents": 99.5, "all": True}, "amount_cents"),
    ({"amount_cents": 100, "all": True, "source": "bonus"}, "source"),
])
def test_a_grant_request_with_a_bad_field_is_refused_naming_it(data: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        load(GrantRequest, data)
    assert field in refused.value.fields


def test_listed_employees_receive_it_once_and_it_is_announced(hr, wallet) -> None:
    anna, luca = hr.employee(), hr.employee()
    plan = hr.plan()
    done = grant(hr, wallet, plan, amount_cents=25_000, employee_ids=[anna["id"], luca["id"]])
    assert done["total_cents"] == 50_000 and done["employee_count"] == 2
    assert done["replayed"] is False
    [call] = wallet.calls
    assert call["idempotency_key"] == call["grant_id"] == done["id"]
    assert call["plan"]["id"] == plan["id"] and call["amount_cents"] == 25_000
    [event] = granted(hr)
    assert event["grant_id"] == done["id"]
    assert sorted(event["employee_ids"]) == sorted([anna["id"], luca["id"]])
    assert hr.session.get(Grant, done["id"]).status == "done"


def test_everyone_means_the_active_employees_of_the_plan_s_groups(hr, wallet) -> None:
    office = [hr.employee(group="uffici")["id"] for _ in range(2)]
    hr.employee(group="magazzino")
    gone = hr.employee(group="uffici")
    domain.depart(hr.session, hr.company_id, gone["id"], domain.date.today())
    other_company = hr.company()["id"]
    hr.employee(company_id=other_company, group="uffici")
    plan = hr.plan(target_groups=["uffici"])
    done = grant(hr, wallet, plan, amount_cents=10_000, all=True)
    assert sorted(done["employee_ids"]) == sorted(office)


@pytest.mark.parametrize("who", ["unknown", "departed", "another company's"])
def test_a_listed_employee_not_active_here_is_refused_naming_them(hr, wallet, who: str) -> None:
    anna = hr.employee()
    stranger = {"unknown": lambda: {"id": str(uuid.uuid4())},
                "departed": lambda: hr.employee(),
                "another company's": lambda: hr.employee(company_id=hr.company()["id"])}[who]()
    if who == "departed":
        domain.depart(hr.session, hr.company_id, stranger["id"], domain.date.today())
    plan = hr.plan()
    with pytest.raises(NotFound) as refused:
        grant(hr, wallet, plan, amount_cents=100, employee_ids=[anna["id"], stranger["id"]])
    assert refused.value.fields == {"employee_ids": [stranger["id"]]}
    assert rows(hr, Grant) == 0 and wallet.calls == [] and granted(hr) == []


def test_everyone_when_nobody_is_eligible_is_refused(hr, wallet) -> None:
    hr.employee(group="magazzino")
    plan = hr.plan(target_groups=["uffici"])
    with pytest.raises(NotFound) as refused:
        grant(hr, wallet, plan, amount_cents=100, all=True)
    assert set(refused.value.fields) == {"all"}
    assert rows(hr, Grant) == 0 and wallet.calls == []


def test_another_company_s_plan_is_not_found(hr, wallet) -> None:
    anna = hr.employee()
    plan = hr.plan()
    with pytest.raises(NotFound) as refused:
        domain.grant_credits(hr.session, company_id=hr.company()["id"], plan_id=plan["id"],
                             data=load(GrantRequest, {"amount_cents": 1, "all": True}),
                             idempotency_key="k", wallet_grant=wallet)
    assert set(refused.value.fields) == {"plan_id"}
    assert rows(hr, Grant) == 0 and wallet.calls == [] and anna


# -- the plan's budget -----------------------------------------------------------------
def test_the_budget_caps_what_each_employee_is_granted_over_all_grants(hr, wallet) -> None:
    anna, luca = hr.employee(), hr.employee()
    plan = hr.plan(per_employee_budget_cents=50_000)
    grant(hr, wallet, plan, amount_cents=40_000, employee_ids=[anna["id"]])
    grant(hr, wallet, plan, amount_cents=10_000, employee_ids=[anna["id"]])  # exactly the cap
    with pytest.raises(RuleViolation) as refused:
        grant(hr, wallet, plan, amount_cents=1, employee_ids=[luca["id"], anna["id"]])
    assert refused.value.fields == {"employee_ids": [anna["id"]]}  # only who is over
    assert "500,00" in str(refused.value) or "500.00" in str(refused.value)
    assert budget_used(hr, plan) == {anna["id"]: 50_000}  # nothing taken for luca
    assert rows(hr, Grant) == 2 and len(wallet.calls) == 2 and len(granted(hr)) == 2


def test_a_plan_without_a_budget_grants_any_amount(hr, wallet) -> None:
    anna = hr.employee()
    plan = hr.plan()
    grant(hr, wallet, plan, amount_cents=10_000_000, employee_ids=[anna["id"]])
    assert budget_used(hr, plan) == {}


def test_budgets_are_counted_per_plan(hr, wallet) -> None:
    anna = hr.employee()
    first, second = hr.plan(per_employee_budget_cents=1_000), hr.plan(
        per_employee_budget_cents=1_000)
    grant(hr, wallet, first, amount_cents=1_000, employee_ids=[anna["id"]])
    grant(hr, wallet, second, amount_cents=1_000, employee_ids=[anna["id"]])
    assert budget_used(hr, first) == budget_used(hr, second) == {anna["id"]: 1_000}


# -- performance-bonus conversion ------------------------------------------------------
def test_a_bonus_converts_only_within_the_income_ceiling(hr, wallet) -> None:
    within = hr.employee(income_band="up_to_80k")
    over = hr.employee(income_band="over_80k")
    unknown = hr.employee()
    plan = hr.plan()
    with pytest.raises(RuleViolation) as refused:
        grant(hr, wallet, plan, amount_cents=1_000, source="performance_bonus",
              employee_ids=[within["id"], over["id"], unknown["id"]])
    assert refused.value.fields["employee_ids"] == [over["id"], unknown["id"]]
    assert converted(hr) == {} and rows(hr, Grant) == 0
    done = grant(hr, wallet, plan, amount_cents=1_000, source="performance_bonus", all=True)
    assert done["employee_ids"] == [within["id"]]  # everyone eligible: only within


def test_a_year_s_conversions_count_together_up_to_its_cap(hr, wallet) -> None:
    anna = hr.employee(income_band="up_to_80k")
    cap = fiscal_rules.rules_for(domain.date.today().year).performance_bonus_cap_cents
    first, second = hr.plan(), hr.plan()
    grant(hr, wallet, first, amount_cents=cap - 100, source="performance_bonus",
          employee_ids=[anna["id"]])
    with pytest.raises(RuleViolation) as refused:
        grant(hr, wallet, second, amount_cents=101, source="performance_bonus",
              employee_ids=[anna["id"]])
    assert refused.value.fields["employee_ids"] == [anna["id"]]
    assert refused.value.params["room_cents"] == 100
    assert "amount_cents" in refused.value.fields
    assert converted(hr) == {anna["id"]: cap - 100} and rows(hr, Grant) == 1
    grant(hr, wallet, second, amount_cents=100, source="performance_bonus",
          employee_ids=[anna["id"]])
    assert converted(hr) == {anna["id"]: cap}


def test_company_credit_does_not_count_against_the_bonus_cap(hr, wallet) -> None:
    anna = hr.employee(income_band="over_80k")
    plan = hr.plan()
    grant(hr, wallet, plan, amount_cents=10_000_000, employee_ids=[anna["id"]])
    assert converted(hr) == {}


# -- the preview -------------------------------------------------------------------------
def test_the_preview_names_who_the_budget_would_refuse_and_writes_nothing(hr, wallet) -> None:
    anna, luca = hr.employee(), hr.employee()
    plan = hr.plan(per_employee_budget_cents=50_000)
    grant(hr, wallet, plan, amount_cents=45_000, employee_ids=[anna["id"]])
    before = (rows(hr, Grant), budget_used(hr, plan), len(hr.events()))
    seen = preview(hr, plan, amount_cents=10_000, all=True)
    assert seen["employee_count"] == 2 and seen["total_cents"] == 20_000
    assert seen["problems"] == [{"employee_id": anna["id"], "reason": "budget",
                                 "room_cents": 5_000}]
    assert seen["per_employee_budget_cents"] == 50_000
    assert (rows(hr, Grant), budget_used(hr, plan), len(hr.events())) == before
    assert len(wallet.calls) == 1 and luca


def test_the_preview_of_a_conversion_names_the_ceiling_and_the_cap(hr, wallet) -> None:
    within = hr.employee(income_band="up_to_80k")
    near_cap = hr.employee(income_band="up_to_80k")
    over = hr.employee(income_band="over_80k")
    cap = fiscal_rules.rules_for(domain.date.today().year).performance_bonus_cap_cents
    plan = hr.plan()
    grant(hr, wallet, plan, amount_cents=cap - 50, source="performance_bonus",
          employee_ids=[near_cap["id"]])
    everyone = preview(hr, plan, amount_cents=100, source="performance_bonus", all=True)
    assert everyone["excluded_count"] == 1  # over the ceiling: not among "everyone"
    assert everyone["problems"] == [{"employee_id": near_cap["id"], "reason": "bonus_cap",
                                     "room_cents": 50}]
    chosen = preview(hr, plan, amount_cents=100, source="performance_bonus",
                     employee_ids=[within["id"], over["id"]])
    assert chosen["problems"] == [{"employee_id": over["id"], "reason": "income_band",
                                   "room_cents": 0}]
    assert converted(hr) == {near_cap["id"]: cap - 50}


def test_a_preview_when_nobody_is_eligible_counts_zero(hr) -> None:
    hr.employee(income_band="over_80k")
    plan = hr.plan()
    seen = preview(hr, plan, amount_cents=100, source="performance_bonus", all=True)
    assert (seen["employee_count"], seen["excluded_count"], seen["total_cents"]) == (0, 1, 0)


# -- recorded first, the wallet outside any transaction -------------------------------
def test_asked_again_with_its_key_the_grant_is_replayed_not_moved_again(hr, wallet) -> None:
    anna = hr.employee()
    plan = hr.plan(per_employee_budget_cents=50_000)
    first = grant(hr, wallet, plan, key="payroll-11", amount_cents=20_000,
                  employee_ids=[anna["id"]])
    again = grant(hr, wallet, plan, key="payroll-11", amount_cents=20_000,
                  employee_ids=[anna["id"]])
    assert again["id"] == first["id"] and again["replayed"] is True
    assert len(wallet.calls) == 1 and len(granted(hr)) == 1
    assert budget_used(hr, plan) == {anna["id"]: 20_000}


def test_a_refusal_by_the_wallet_gives_the_room_back_and_forgets_the_grant(hr, wallet) -> None:
    anna = hr.employee(income_band="up_to_80k")
    plan = hr.plan(per_employee_budget_cents=50_000)
    wallet.refuse = True
    with pytest.raises(InsufficientFunds):
        grant(hr, wallet, plan, amount_cents=3_000, source="performance_bonus",
              employee_ids=[anna["id"]])
    assert rows(hr, Grant) == 0 and granted(hr) == []
    assert budget_used(hr, plan) == {anna["id"]: 0} and converted(hr) == {anna["id"]: 0}
    wallet.refuse = False
    grant(hr, wallet, plan, amount_cents=3_000, source="performance_bonus",
          employee_ids=[anna["id"]])
    assert budget_used(hr, plan) == converted(hr) == {anna["id"]: 3_000}


def test_a_wallet_out_of_reach_leaves_it_pending_and_its_key_finishes_it_once(
        hr, wallet) -> None:
    anna = hr.employee()
    plan = hr.plan(per_employee_budget_cents=50_000)
    wallet.away = True
    with pytest.raises(ServiceTimeout):
        grant(hr, wallet, plan, key="k-1", amount_cents=20_000, employee_ids=[anna["id"]])
    [pending] = hr.session.scalars(select(Grant)).all()
    assert pending.status == "pending" and granted(hr) == []
    assert budget_used(hr, plan) == {anna["id"]: 20_000}  # held while pending
    wallet.away = False
    done = grant(hr, wallet, plan, key="k-1", amount_cents=20_000, employee_ids=[anna["id"]])
    assert done["id"] == pending.id and done["total_cents"] == 20_000
    assert len(wallet.moved) == 1 and len(granted(hr)) == 1
    assert budget_used(hr, plan) == {anna["id"]: 20_000}  # taken once


def test_the_sweep_finishes_grants_left_pending(hr, wallet) -> None:
    anna = hr.employee()
    plan = hr.plan()
    wallet.away = True
    with pytest.raises(ServiceTimeout):
        grant(hr, wallet, plan, amount_cents=500, employee_ids=[anna["id"]])
    wallet.away = False
    assert domain.finish_pending_grants(hr.session, wallet, older_than=timedelta(0)) == 1
    assert hr.session.scalar(select(Grant.status)) == "done"
    assert len(granted(hr)) == 1 and len(wallet.moved) == 1
    assert domain.finish_pending_grants(hr.session, wallet, older_than=timedelta(0)) == 0


# -- what a grant holds a plan to ------------------------------------------------------
def test_credit_granted_holds_the_plan_s_budget_and_end(hr, wallet) -> None:
    anna = hr.employee()
    plan = hr.plan(per_employee_budget_cents=50_000,
                   valid_until=(domain.date.today() + timedelta(days=60)).isoformat())
    unbudgeted = hr.plan()
    grant(hr, wallet, plan, amount_cents=30_000, employee_ids=[anna["id"]])
    grant(hr, wallet, unbudgeted, amount_cents=100, employee_ids=[anna["id"]])

    def change(which: dict, **changes: Any) -> dict[str, Any]:
        return hr.request(lambda: plans.change_plan(hr.session, hr.company_id, which["id"],
                                                    load(PlanChange, changes)))

    soon = (domain.date.today() + timedelta(days=7)).isoformat()
    for which, changes, field in [
            (plan, {"per_employee_budget_cents": 29_999}, "per_employee_budget_cents"),
            (plan, {"valid_until": soon}, "valid_until"),
            (unbudgeted, {"per_employee_budget_cents": 1_000}, "per_employee_budget_cents")]:
        with pytest.raises(RuleViolation) as refused:
            change(which, **changes)
        assert set(refused.value.fields) == {field}
    assert change(plan, per_employee_budget_cents=30_000)["version"] == 2
    assert change(plan, per_employee_budget_cents=None)["per_employee_budget_cents"] is None
    assert len(hr.events(events.PLAN_CHANGED)) == 2
