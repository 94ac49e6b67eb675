"""HR changes a running plan through the API (PATCH /api/v1/plans/{pid}): what
keeps the plan's promises is applied and reaches the employees' wallets (a
category added can be spent in, the new end shows); what would break one is
refused beside its field; another company's plan is not found."""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta

from support.e2e import approved_provider, buy, funded_employee


def _wallet_plan(stack, token: str, plan_id: str, until: str) -> dict:  # type: ignore[no-untyped-def]
    """The employee's wallet's line for the plan, once it ends on `until`."""
    deadline = time.monotonic() + 10
    while True:
        plans = stack.call("GET", "/me/wallet", token).json()["plans"]
        line = next(p for p in plans if p["plan_id"] == plan_id)
        if line["valid_until"] == until or time.monotonic() > deadline:
            return line
        time.sleep(0.1)


def test_hr_changes_a_running_plan_and_the_wallets_follow(stack, admin, company,
                                                          fake) -> None:
    employee, token, plan = funded_employee(stack, admin, company, fake, 20_000,
                                            categories=["education"],
                                            per_employee_budget_cents=50_000)
    provider = approved_provider(stack, admin, fake, category="wellbeing", price_cents=3_000)
    refused = buy(stack, token, provider.offering_id)
    assert refused.status_code == 422  # not a category of the plan (yet)

    later = (date.today() + timedelta(days=200)).isoformat()
    r = stack.call("PATCH", f"/plans/{plan['id']}", company.hr, json={
        "name": "Welfare e sport", "valid_until": later,
        "categories": ["education", "wellbeing"], "target_groups": ["impiegati"],
        "per_employee_budget_cents": 25_000, "leftover_policy": "roll_over"})
    assert r.status_code == 200, r.text
    changed = r.json()
    assert changed["version"] == 2 and changed["valid_until"] == later
    assert changed["categories"] == ["education", "wellbeing"]
    assert changed["target_groups"] == ["impiegati"]
    assert changed["per_employee_budget_cents"] == 25_000
    assert changed["leftover_policy"] == "roll_over" and changed["name"] == "Welfare e sport"
    listed = stack.call("GET", f"/companies/{company.id}/plans", company.hr).json()["items"]
    assert [p["version"] for p in listed if p["id"] == plan["id"]] == [2]

    line = _wallet_plan(stack, token, plan["id"], later)  # plan.changed reached the wallet
    assert line["valid_until"] == later and line["name"] == "Welfare e sport"
    assert "wellbeing" in line["categories"]
    bought = buy(stack, token, provider.offering_id)
    assert bought.status_code == 201, bought.text

    # what would break a promise: refused, naming each field
    r = stack.call("PATCH", f"/plans/{plan['id']}", company.hr, json={
        "valid_until": (date.today() + timedelta(days=3)).isoformat(),
        "categories": ["wellbeing"], "per_employee_budget_cents": 10_000})
    assert r.status_code == 422, r.text
    error = r.json()["error"]
    assert error["code"] == "plan_change_refused"
    assert set(error["fields"]) == {"valid_until", "categories", "per_employee_budget_cents"}
    assert error["fields"]["per_employee_budget_cents"] == [
        "not below 200,00 €: already granted to an employee on this plan"]
    r = stack.call("PATCH", f"/plans/{plan['id']}", company.hr, json={
        "valid_until": (date.today() - timedelta(days=1)).isoformat()})
    assert r.json()["error"]["fields"] == {"valid_until": ["must not be before today"]}
    r = stack.call("PATCH", f"/plans/{plan['id']}", company.hr, json={"fiscal_year": 2030})
    assert r.status_code == 400 and "fiscal_year" in r.json()["error"]["fields"]
    assert stack.call("GET", f"/companies/{company.id}/plans", company.hr
                      ).json()["items"][0]["version"] == 2  # nothing of it applied


def test_another_company_s_plan_is_not_found(stack, admin, company, fake) -> None:
    _, _, plan = funded_employee(stack, admin, company, fake, 1_000)
    other = stack.call("POST", "/companies", admin, json={
        "name": "Altra S.r.l.", "vat_number": fake.vat_number(),
        "hr_manager": {"email": (email := fake.email("hr")), "first_name": "A",
                       "last_name": "B", "password": "hr-password-123"}})
    assert other.status_code == 201
    r = stack.call("PATCH", f"/plans/{plan['id']}", stack.token(email, "hr-password-123"),
                   json={"name": "mine now"}, key=uuid.uuid4().hex)
    assert r.status_code == 404
