"""A performance bonus offered, chosen and paid, over the public API with the real wallet,
broker, database and SMTP server (docs/domain.md#bonus-offers). The deadline passes by
moving wecare_common.clock (WECARE_CLOCK_FILE, read by every service of this stack);
benefits' timer looks every second here."""

from __future__ import annotations

import time
import uuid
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
from support.e2e import add_employee, create_plan, fund_company, offer_window
from wecare_common import clock, config


@pytest.fixture
def moved_clock(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Path]:
    """Every service of this in-process stack reads the same moved clock; back to the
    machine's after the test."""
    path = tmp_path / "clock"
    monkeypatch.setenv(config.MOVED_CLOCK, str(path))
    yield path
    monkeypatch.delenv(config.MOVED_CLOCK)


def _offer(stack, company, plan: dict, deadline: date, key: str | None = None, **extra):  # type: ignore[no-untyped-def]
    return stack.call("POST", f"/companies/{company.id}/bonus-offers", company.hr,
                      key=key or uuid.uuid4().hex, json={
                          "plan_id": plan["id"], "name": "Premio di risultato",
                          "agreement": "Accordo aziendale 2026", "amount_cents": 100_000,
                          "deadline": deadline.isoformat(), "all": True, **extra})


def _wait_until(check, timeout: float = 30) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not check():
        assert time.monotonic() < deadline, "not in time"
        time.sleep(0.2)


def test_hr_offers_the_employee_converts_60_percent_and_the_deadline_pays_it(
        stack, admin, company, fake, moved_clock: Path) -> None:
    year, deadline = offer_window()
    anna = add_employee(stack, company, fake, income_band="up_to_80k")
    luca = add_employee(stack, company, fake, income_band="up_to_80k")
    rich = add_employee(stack, company, fake, income_band="over_80k")
    fund_company(stack, admin, company, 200_000)
    plan = create_plan(stack, company, fiscal_year=year,
                       valid_until=(deadline + timedelta(days=60)).isoformat())

    r = _offer(stack, company, plan, deadline, key="offer-1")
    assert r.status_code == 201, r.text
    offer = r.json()
    assert (offer["employee_count"], offer["status"], offer["open"]) == (2, "open", True)
    assert _offer(stack, company, plan, deadline, key="offer-1").json()["id"] == offer["id"]

    anna_token = stack.token(anna["email"], anna["password"])
    rich_token = stack.token(rich["email"], rich["password"])
    stack.smtp.wait_for(lambda m: m["To"] == anna["email"] and "premio" in m["Subject"])
    [mine] = stack.call("GET", "/me/bonus-offers", anna_token).json()["items"]
    assert mine["comparison"]["all_cash_net_cents"] < 100_000 and mine["max_welfare_cents"] == (
        100_000)
    assert stack.call("GET", "/me/bonus-offers", rich_token).json()["items"] == []
    assert stack.call("GET", f"/me/bonus-offers/{offer['id']}", rich_token).status_code == 404
    asked = stack.call("GET", f"/me/bonus-offers/{offer['id']}", anna_token,
                       params={"welfare_cents": 60_000}).json()
    assert asked["comparison"]["welfare_cents"] == 60_000 and asked["choice"][
        "welfare_cents"] is None
    r = stack.call("PUT", f"/me/bonus-offers/{offer['id']}/choice", anna_token,
                   json={"welfare_cents": 100_000})
    assert r.status_code == 200 and r.json()["choice"]["welfare_cents"] == 100_000
    r = stack.call("PUT", f"/me/bonus-offers/{offer['id']}/choice", anna_token,
                   json={"welfare_cents": 60_000})  # changed her mind
    assert r.json()["choice"]["welfare_cents"] == 60_000
    r = stack.call("PUT", f"/me/bonus-offers/{offer['id']}/choice", anna_token,
                   json={"welfare_cents": 100_001})
    assert r.status_code == 422 and r.json()["error"]["code"] == "bonus_over_amount"
    assert r.json()["error"]["params"] == {"amount_cents": 100_000}

    seen = stack.call("GET", f"/companies/{company.id}/bonus-offers/{offer['id']}",
                      company.hr).json()
    assert (seen["chosen_count"], seen["welfare_chosen_cents"], seen["cash_chosen_cents"]) == (
        1, 60_000, 140_000)
    assert {e["employee_id"]: e["welfare_cents"] for e in seen["employees"]} == {
        anna["id"]: 60_000, luca["id"]: None}

    clock.move(moved_clock, clock.end_of_day(deadline) - clock.now() + timedelta(minutes=1))

    def settled() -> bool:
        return stack.call("GET", f"/companies/{company.id}/bonus-offers/{offer['id']}",
                          company.hr).json()["status"] == "settled"
    _wait_until(settled)
    assert stack.call("GET", "/me/wallet", anna_token).json()["total_cents"] == 60_000
    luca_token = stack.token(luca["email"], luca["password"])
    assert stack.call("GET", "/me/wallet", luca_token).json()["total_cents"] == 0
    r = stack.call("PUT", f"/me/bonus-offers/{offer['id']}/choice", anna_token,
                   json={"welfare_cents": 0})
    assert r.status_code == 409 and r.json()["error"]["code"] == "bonus_offer_closed"
    assert r.json()["error"]["params"] == {"deadline": deadline.isoformat()}

    rules = stack.call("GET", "/fiscal-rules", params={"year": year}).json()
    bps = rules["performance_bonus"]["substitute_tax_bps"]
    report = stack.call("GET", f"/companies/{company.id}/reports/fiscal", company.hr,
                        params={"year": year}).json()
    paid = {b["employee_id"]: b for b in report["bonuses"]}
    assert (paid[anna["id"]]["granted_welfare_cents"], paid[anna["id"]]["cash_cents"]) == (
        60_000, 40_000)
    assert paid[anna["id"]]["contributions_cents"] == 3_676
    assert paid[anna["id"]]["substitute_tax_cents"] == (36_324 * bps * 2 + 10_000) // 20_000
    assert (paid[luca["id"]]["outcome"], paid[luca["id"]]["cash_cents"]) == ("no_choice", 100_000)
    csv = stack.call("GET", f"/companies/{company.id}/reports/fiscal", company.hr,
                     params={"year": year, "format": "csv"}).text
    assert f"{anna['fiscal_code']};Rossi;Mario;performance_bonus_cash;40000;" in csv

    result = stack.smtp.wait_for(lambda m: m["To"] == anna["email"] and m["Subject"].startswith(
        "Il tuo premio di risultato:"))[0]
    assert "600,00" in result["Subject"] and "400,00" in result["Subject"]
    # the welfare grant told no second time
    assert not [m for m in stack.smtp.messages()
                if m["To"] == anna["email"] and "Hai ricevuto" in m["Subject"]]
    assert stack.call("GET", "/ledger/audit", admin).json()["balanced"] is True


def test_a_company_s_offers_are_invisible_to_another(stack, admin, company, fake) -> None:
    year, deadline = offer_window()
    add_employee(stack, company, fake, income_band="up_to_80k")
    plan = create_plan(stack, company, fiscal_year=year,
                       valid_until=(deadline + timedelta(days=60)).isoformat())
    offer = _offer(stack, company, plan, deadline).json()
    email = fake.email("hr")
    other = stack.call("POST", "/companies", admin, json={
        "name": "Altra S.r.l.", "vat_number": fake.vat_number(),
        "hr_manager": {"email": email, "first_name": "A", "last_name": "B",
                       "password": "hr-password-123"}}).json()
    other_hr = stack.token(email, "hr-password-123")
    assert stack.call("GET", f"/companies/{company.id}/bonus-offers", other_hr).status_code == (
        404)
    assert stack.call("GET", f"/companies/{company.id}/bonus-offers/{offer['id']}",
                      other_hr).status_code == 404
    assert stack.call("GET", f"/companies/{other['id']}/bonus-offers/{offer['id']}",
                      other_hr).status_code == 404
    assert stack.call("GET", f"/companies/{other['id']}/bonus-offers", other_hr).json()[
        "items"] == []
    r = _offer(stack, type(company)(other["id"], other_hr, email), plan, deadline)
    assert r.status_code == 404  # another company's plan


def test_an_offer_is_refused_naming_what_is_wrong(stack, company, fake) -> None:
    year, deadline = offer_window()
    add_employee(stack, company, fake, income_band="up_to_80k")
    plan = create_plan(stack, company, fiscal_year=year,
                       valid_until=(deadline + timedelta(days=60)).isoformat())
    r = _offer(stack, company, plan, date.today() - timedelta(days=1))
    assert r.status_code == 422 and r.json()["error"]["code"] == "bonus_deadline_past"
    assert list(r.json()["error"]["problems"]) == ["deadline"]
    r = _offer(stack, company, plan, deadline, amount_cents=0)
    assert r.status_code == 400 and "amount_cents" in r.json()["error"]["fields"]
    r = stack.call("POST", f"/companies/{company.id}/bonus-offers", company.hr, json={
        "plan_id": plan["id"], "name": "P", "agreement": "Accordo", "amount_cents": 100,
        "deadline": deadline.isoformat(), "all": True})  # no Idempotency-Key
    assert r.status_code == 400 and "Idempotency-Key" in r.json()["error"]["fields"]
