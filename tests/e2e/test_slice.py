"""The thin slice of issue #2 through every service, over HTTP, the broker,
PostgreSQL and SMTP: nothing mocked."""

from __future__ import annotations

import time
from datetime import date

import requests
from babel.dates import format_date
from support.e2e import Company, add_employee, create_plan, fund_company


def test_company_to_credits_granted_email_and_feed(stack, admin, company, fake) -> None:
    employee = add_employee(stack, company, fake)

    topup = stack.call("POST", f"/companies/{company.id}/topups", company.hr, key="t-1",
                       json={"amount_cents": 100_000, "method": "bank_transfer"})
    assert topup.status_code == 201, topup.text
    assert topup.json()["status"] == "pending"
    assert topup.json()["bank_reference"].startswith("WC-")

    confirmed = stack.call("POST", f"/topups/{topup.json()['id']}/confirmation", admin)
    assert confirmed.status_code == 200 and confirmed.json()["status"] == "succeeded"
    again = stack.call("POST", f"/topups/{topup.json()['id']}/confirmation", admin)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "topup_already"

    got = stack.call("GET", f"/companies/{company.id}", company.hr)
    assert got.json()["fund_balance_cents"] == 100_000

    plan = create_plan(stack, company)
    grant = stack.call("POST", f"/plans/{plan['id']}/grants", company.hr, key="g-1",
                       json={"amount_cents": 25_000, "employee_ids": [employee["id"]]})
    assert grant.status_code == 201, grant.text
    assert grant.json()["total_cents"] == 25_000

    token = stack.token(employee["email"], employee["password"])
    wallet = stack.call("GET", "/me/wallet", token).json()
    assert wallet["total_cents"] == 25_000
    assert wallet["plans"][0]["plan_id"] == plan["id"]
    assert wallet["plans"][0]["balance_cents"] == 25_000

    mail = stack.smtp.wait_for(lambda m: m["To"] == employee["email"]
                               and "credito welfare" in m["Subject"])
    assert mail[0]["Subject"] == "Hai ricevuto 250,00\xa0€ di credito welfare"
    text = mail[0].get_body(preferencelist=("plain",)).get_content()
    valid_until = date.fromisoformat(plan["valid_until"])
    assert format_date(valid_until, format="long", locale="it_IT") in text

    deadline = time.monotonic() + 10
    while time.monotonic() < deadline:
        feed = stack.call("GET", "/me/notifications", token).json()["items"]
        if any(n["kind"] == "credits_granted" for n in feed):
            break
        time.sleep(0.1)
    assert [n["kind"] for n in feed if n["kind"] == "credits_granted"] == ["credits_granted"]

    statement = stack.call("GET", "/me/transactions", token).json()["items"]
    assert [(s["kind"], s["amount_cents"]) for s in statement] == [("grant", 25_000)]

    audit = stack.call("GET", "/ledger/audit", admin).json()
    assert audit["balanced"] is True and audit["sum_cents"] == 0


def test_a_retried_grant_moves_money_once(stack, admin, company, fake) -> None:
    employee = add_employee(stack, company, fake)
    fund_company(stack, admin, company, 10_000)
    plan = create_plan(stack, company)
    body = {"amount_cents": 4_000, "employee_ids": [employee["id"]]}
    first = stack.call("POST", f"/plans/{plan['id']}/grants", company.hr, key="same",
                       json=body)
    second = stack.call("POST", f"/plans/{plan['id']}/grants", company.hr, key="same",
                        json=body)
    assert first.status_code == second.status_code == 201
    assert first.json() == second.json()
    other = stack.call("POST", f"/plans/{plan['id']}/grants", company.hr, key="same",
                       json={**body, "amount_cents": 5_000})
    assert other.status_code == 422
    assert other.json()["error"]["code"] == "idempotency_conflict"
    got = stack.call("GET", f"/companies/{company.id}", company.hr).json()
    assert got["fund_balance_cents"] == 6_000


def test_money_moving_requests_need_an_idempotency_key(stack, company) -> None:
    r = stack.call("POST", f"/companies/{company.id}/topups", company.hr,
                   json={"amount_cents": 100, "method": "bank_transfer"})
    assert r.status_code == 400
    assert "Idempotency-Key" in r.json()["error"]["fields"]


def test_a_grant_larger_than_the_fund_is_refused_and_nothing_moves(stack, admin, company,
                                                                  fake) -> None:
    employee = add_employee(stack, company, fake)
    fund_company(stack, admin, company, 1_000)
    plan = create_plan(stack, company)
    r = stack.call("POST", f"/plans/{plan['id']}/grants", company.hr, key="too-much",
                   json={"amount_cents": 1_001, "employee_ids": [employee["id"]]})
    assert r.status_code == 422
    assert r.json()["error"]["code"] == "fund_short"
    assert r.json()["error"]["params"] == {"missing_cents": 1}
    token = stack.token(employee["email"], employee["password"])
    assert stack.call("GET", "/me/wallet", token).json()["total_cents"] == 0
    assert stack.call("GET", f"/companies/{company.id}",
                      company.hr).json()["fund_balance_cents"] == 1_000


def test_bad_input_names_the_field_and_writes_nothing(stack, company, fake) -> None:
    body = {"email": fake.email(), "first_name": "Anna", "last_name": "Blu",
            "fiscal_code": "RSSMRA85T10A562X"}  # wrong check character
    r = stack.call("POST", f"/companies/{company.id}/employees", company.hr, json=body)
    assert r.status_code == 400
    error = r.json()["error"]
    assert error["code"] == "validation_error"
    assert "check character" in error["fields"]["fiscal_code"][0]
    listed = stack.call("GET", f"/companies/{company.id}/employees", company.hr).json()
    assert listed["items"] == []

    for bad in ({"amount_cents": 10.5}, {"amount_cents": -1}, {"amount_cents": "100"}):
        r = stack.call("POST", f"/companies/{company.id}/topups", company.hr, key="k",
                       json={"method": "bank_transfer", **bad})
        assert r.status_code == 400, bad
        assert "amount_cents" in r.json()["error"]["fields"]

    r = requests.post(f"{stack.url}/api/v1/companies/{company.id}/plans", data="{not json",
                      headers={"Authorization": f"Bearer {company.hr}"}, timeout=10)
    assert r.status_code == 400 and r.json()["error"]["code"] == "not_json"


def test_tenants_and_roles_are_kept_apart(stack, admin, company, fake) -> None:
    other_email = fake.email("hr")
    r = stack.call("POST", "/companies", admin, json={
        "name": "Other S.p.A.", "vat_number": fake.vat_number(),
        "hr_manager": {"email": other_email, "first_name": "Luca", "last_name": "Gialli",
                       "password": "other-password-1"}})
    other = Company(r.json()["id"], stack.token(other_email, "other-password-1"), other_email)
    employee = add_employee(stack, company, fake)
    employee_token = stack.token(employee["email"], employee["password"])

    assert stack.call("GET", f"/companies/{company.id}", other.hr).status_code == 404
    assert stack.call("GET", f"/companies/{company.id}/employees", other.hr).status_code == 404
    plan = create_plan(stack, company)
    r = stack.call("POST", f"/plans/{plan['id']}/grants", other.hr, key="x",
                   json={"amount_cents": 100, "all": True})
    assert r.status_code == 404
    assert stack.call("GET", f"/companies/{company.id}", employee_token).status_code == 403
    assert stack.call("GET", "/me/wallet", company.hr).status_code == 403
    assert stack.call("GET", "/me/wallet").status_code == 401
    forged = employee_token[:-4] + ("AAAA" if not employee_token.endswith("AAAA") else "BBBB")
    assert stack.call("GET", "/me/wallet", forged).status_code == 401


def test_health_reports_every_service(stack) -> None:
    r = requests.get(f"{stack.url}/health", timeout=10)
    assert r.status_code == 200
    assert r.json()["services"] == {"gateway": "ok", "catalog": "ok", "benefits": "ok",
                                    "wallet": "ok", "notifications": "ok"}


def test_the_openapi_document_lists_every_route(stack) -> None:
    from gateway.openapi import routes_of
    from gateway.service import GatewayService

    spec = requests.get(f"{stack.url}/api/v1/openapi.json", timeout=10).json()
    assert spec["openapi"].startswith("3.")
    documented = {(path, method) for path, ops in spec["paths"].items() for method in ops}
    for route in routes_of(GatewayService):
        path = route.url.replace("<", "{").replace(">", "}")
        assert (path, route.method.lower()) in documented
    grants = spec["paths"]["/api/v1/plans/{pid}/grants"]["post"]
    assert any(p["name"] == "Idempotency-Key" for p in grants["parameters"])
    assert "CompanyIn" in spec["components"]["schemas"]
