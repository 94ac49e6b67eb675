"""Companies, enrolment, departures and plans in memory (docs/domain.md#companies,
#employees, #plans): each refusal names its field and writes nothing; each change is
announced by an outbox row written in the same session."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest
from benefits import domain, fiscal_rules, plans
from benefits.models import Company, Employee, Plan
from benefits.schemas import GrantRequest, PlanChange
from sqlalchemy import func, select
from wecare_common.contract import events
from wecare_common.errors import Conflict, Forbidden, InvalidInput, NotFound, RuleViolation
from wecare_common.schemas import load

# a valid codice fiscale whose check character is wrong (the right one is Z)
WRONG_CHECK = "RSSMRA85T10A562X"
TODAY = date.today()


def count(hr, model: type, **where: Any) -> int:
    query = select(func.count()).select_from(model)
    for column, value in where.items():
        query = query.where(getattr(model, column) == value)
    return hr.session.scalar(query) or 0


# -- companies -------------------------------------------------------------------------
def test_a_company_is_announced_with_its_hr_manager(hr) -> None:
    [event] = hr.events(events.COMPANY_CREATED)
    assert event["company_id"] == hr.company_id
    assert event["payload"]["hr_manager"]["first_name"] == "Giulia"


def test_a_company_with_a_vat_number_already_registered_is_refused(hr) -> None:
    taken = hr.session.get(Company, hr.company_id).vat_number
    with pytest.raises(Conflict) as refused:
        hr.company(vat_number=taken)
    assert set(refused.value.fields) == {"vat_number"}
    assert count(hr, Company) == 1 and len(hr.events(events.COMPANY_CREATED)) == 1


@pytest.mark.parametrize(("changes", "field"), [
    ({"vat_number": "12345678901"}, "vat_number"),  # the check digit is wrong
    ({"name": ""}, "name"),
    ({"hr_manager": {"email": "nobody", "first_name": "G", "last_name": "N"}}, "hr_manager"),
])
def test_a_company_with_a_bad_field_is_refused_naming_it(hr, changes: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        hr.company(**changes)
    assert field in refused.value.fields
    assert count(hr, Company) == 1


def test_a_company_signed_up_again_with_its_key_is_the_same_one(hr, fake) -> None:
    data = {"name": "Bis", "vat_number": fake.vat_number(),
            "hr_manager": {"email": fake.email(), "first_name": "A", "last_name": "B"}}
    first = domain.create_company(hr.session, dict(data), "signup-7")
    again = domain.create_company(hr.session, dict(data), "signup-7")
    assert first["id"] == again["id"] and count(hr, Company) == 2


# -- enrolment -------------------------------------------------------------------------
def test_an_employee_is_announced_with_the_year_s_fringe_limit(hr, fake) -> None:
    parent = hr.employee(dependent_children=[fake.fiscal_code()], fiscal_code=" " + (
        code := fake.fiscal_code()).lower())
    assert parent["fiscal_code"] == code and parent["status"] == "active"  # trimmed, upper
    single = hr.employee()
    limits = {e["payload"]["id"]: e["payload"]["fringe_limit_cents"]
              for e in hr.events(events.EMPLOYEE_ENROLLED)}
    year = TODAY.year
    assert limits == {parent["id"]: fiscal_rules.fringe_limit_cents(year, 1),
                      single["id"]: fiscal_rules.fringe_limit_cents(year, 0)}


@pytest.mark.parametrize("field", ["fiscal_code", "email"])
def test_a_tax_code_or_email_enrolled_already_is_refused_naming_it(hr, field: str) -> None:
    first = hr.employee()
    with pytest.raises(Conflict) as refused:
        hr.employee(**{field: first[field].lower() if field == "fiscal_code" else first[field]})
    assert set(refused.value.fields) == {field}
    assert count(hr, Employee) == 1 and len(hr.events(events.EMPLOYEE_ENROLLED)) == 1


def test_another_company_may_enroll_the_same_person(hr) -> None:
    anna = hr.employee()
    other = hr.company()["id"]
    again = hr.employee(company_id=other, fiscal_code=anna["fiscal_code"], email=anna["email"])
    assert again["company_id"] == other and again["id"] != anna["id"]


@pytest.mark.parametrize(("changes", "field"), [
    ({"fiscal_code": WRONG_CHECK}, "fiscal_code"),
    ({"fiscal_code": "RSSMRA85T10A562"}, "fiscal_code"),  # one character short
    ({"dependent_children": [WRONG_CHECK]}, "dependent_children"),
    ({"email": "anna.example.test"}, "email"),
    ({"income_band": "over_100k"}, "income_band"),
    ({"language": "de"}, "language"),
    ({"first_name": ""}, "first_name"),
])
def test_an_employee_with_a_bad_field_is_refused_naming_it(hr, changes: dict,
                                                           field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        hr.employee(**changes)
    assert field in refused.value.fields
    assert count(hr, Employee) == 0 and hr.events(events.EMPLOYEE_ENROLLED) == []


def test_an_enrolment_asked_again_with_its_key_is_the_same_one(hr) -> None:
    data = hr.employee_data()
    first = domain.enroll_employee(hr.session, hr.company_id, dict(data), "key-1")
    again = domain.enroll_employee(hr.session, hr.company_id, dict(data), "key-1")
    assert again["id"] == first["id"] and count(hr, Employee) == 1


def test_enrolling_in_an_unknown_company_is_not_found(hr) -> None:
    with pytest.raises(NotFound) as refused:
        hr.employee(company_id="no-such-company")
    assert set(refused.value.fields) == {"company_id"}
    assert count(hr, Employee) == 0


# -- departures ------------------------------------------------------------------------
def test_a_departure_is_announced_once(hr) -> None:
    anna = hr.employee()
    left = domain.depart(hr.session, hr.company_id, anna["id"], date(2026, 6, 30))
    assert (left["status"], left["left_on"]) == ("left", "2026-06-30")
    [event] = hr.events(events.EMPLOYEE_LEFT)
    assert event["payload"]["id"] == anna["id"] and event["payload"]["left_on"] == "2026-06-30"
    with pytest.raises(Conflict) as again:
        domain.depart(hr.session, hr.company_id, anna["id"], date(2026, 7, 1))
    assert set(again.value.fields) == {"employee_id"}
    assert len(hr.events(events.EMPLOYEE_LEFT)) == 1


def test_only_the_employee_s_own_company_records_their_departure(hr) -> None:
    anna = hr.employee()
    other = hr.company()["id"]
    with pytest.raises(NotFound) as refused:
        domain.depart(hr.session, other, anna["id"], TODAY)
    assert set(refused.value.fields) == {"employee_id"}
    assert hr.session.scalar(select(Employee.status).where(Employee.id == anna["id"])) == (
        "active")


# -- plans -----------------------------------------------------------------------------
def test_a_plan_is_announced_at_version_1(hr) -> None:
    plan = hr.plan(target_groups=["impiegati"], per_employee_budget_cents=50_000)
    assert plan["version"] == 1 and plan["per_employee_budget_cents"] == 50_000
    [event] = hr.events(events.PLAN_CREATED)
    assert event["payload"]["id"] == plan["id"] and event["company_id"] == hr.company_id


@pytest.mark.parametrize(("changes", "field"), [
    ({"valid_from": "2026-03-01", "valid_until": "2026-02-28"}, "valid_until"),
    ({"categories": []}, "categories"),
    ({"categories": ["education", "groceries"]}, "categories"),
    ({"per_employee_budget_cents": 0}, "per_employee_budget_cents"),
    ({"per_employee_budget_cents": 100.5}, "per_employee_budget_cents"),
    ({"leftover_policy": "keep"}, "leftover_policy"),
    ({"fiscal_year": 1999}, "fiscal_year"),
    ({"fiscal_year": "2026"}, "fiscal_year"),  # strict: a number
])
def test_a_plan_with_a_bad_field_is_refused_naming_it(hr, changes: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        hr.plan(**changes)
    assert field in refused.value.fields
    assert count(hr, Plan) == 0 and hr.events(events.PLAN_CREATED) == []


def test_a_plan_of_one_day_is_allowed(hr) -> None:
    day = TODAY.isoformat()
    assert hr.plan(valid_from=day, valid_until=day)["valid_until"] == day


def test_a_change_keeps_the_plan_s_promises_and_is_announced_with_what_changed(hr) -> None:
    plan = hr.plan(categories=["education"])
    changes = load(PlanChange, {"categories": ["education", "transport"], "name": "Nuovo",
                                  "valid_until": (TODAY + timedelta(days=90)).isoformat()})
    view = plans.change_plan(hr.session, hr.company_id, plan["id"], changes)
    assert view["version"] == 2 and view["categories"] == ["education", "transport"]
    [event] = hr.events(events.PLAN_CHANGED)
    assert sorted(event["payload"]["changed"]) == ["categories", "name", "valid_until"]
    with pytest.raises(RuleViolation) as refused:
        plans.change_plan(hr.session, hr.company_id, plan["id"],
                          load(PlanChange, {"categories": ["transport"]}))
    assert set(refused.value.fields) == {"categories"}
    assert hr.session.get(Plan, plan["id"]).version == 2
    assert len(hr.events(events.PLAN_CHANGED)) == 1


def test_a_change_to_nothing_new_is_not_announced(hr) -> None:
    plan = hr.plan(name="Welfare")
    view = plans.change_plan(hr.session, hr.company_id, plan["id"], {"name": "Welfare"})
    assert view["version"] == 1 and hr.events(events.PLAN_CHANGED) == []


def test_an_ended_plan_or_another_company_s_does_not_change(hr) -> None:
    ended = hr.plan(valid_from="2024-01-01", valid_until="2024-12-31", fiscal_year=2024)
    with pytest.raises(RuleViolation) as refused:
        plans.change_plan(hr.session, hr.company_id, ended["id"], {"name": "Dopo"})
    assert set(refused.value.fields) == {"valid_until"}
    current = hr.plan()
    with pytest.raises(NotFound) as foreign:
        plans.change_plan(hr.session, hr.company()["id"], current["id"], {"name": "Mio"})
    assert set(foreign.value.fields) == {"plan_id"}
    with pytest.raises(InvalidInput) as fixed:
        plans.change_plan(hr.session, hr.company_id, current["id"], {"fiscal_year": 2030})
    assert set(fixed.value.fields) == {"fiscal_year"}
    assert hr.events(events.PLAN_CHANGED) == []


@pytest.mark.parametrize("missing", [None, ""])
def test_no_company_named_reads_or_changes_no_plan(hr, missing) -> None:
    """No scope is no access (docs/api.md#roles-and-tenants): a plan is its company's,
    and no company named is refused, not read as "any company"."""
    plan = hr.plan()
    with pytest.raises(Forbidden) as refused:
        domain.get_plan(hr.session, plan["id"], missing)
    assert (refused.value.code, refused.value.params) == ("scope_missing",
                                                          {"missing": ["company_id"]})
    with pytest.raises(Forbidden):
        plans.change_plan(hr.session, missing, plan["id"], {"name": "Someone else's"})
    hr.session.rollback()
    with pytest.raises(Forbidden):
        domain.grant_preview(hr.session, company_id=missing, plan_id=plan["id"],
                             data=load(GrantRequest, {"amount_cents": 100, "all": True}))
    assert domain.get_plan(hr.session, plan["id"], hr.company_id).name == "Welfare"


def test_plans_are_listed_the_latest_year_first(hr) -> None:
    old = hr.plan(fiscal_year=TODAY.year - 1)
    new = hr.plan()
    assert [p["id"] for p in domain.list_plans(hr.session, hr.company_id)["items"]] == [
        new["id"], old["id"]]
