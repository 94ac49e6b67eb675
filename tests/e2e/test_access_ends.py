"""Access that ends when it should (issue 23.2, docs/api.md#how-access-ends), end to end:
an operator disables any account and every session and refresh token of it ends at once
(on every gateway replica within SESSION_CHECK_TTL); an HR manager removes a colleague's
HR access; an employee who leaves reads and downloads for a grace period, buys nothing,
and a voucher they cancel gives its credit back to the company fund; then their access
ends."""

from __future__ import annotations

import time
import uuid
from datetime import UTC, datetime, timedelta

import pytest
import requests
from support.e2e import add_employee, buy, funded_employee

PASSWORD = "employee-password-1"


def _login(stack, email: str, password: str) -> dict:  # type: ignore[no-untyped-def]
    r = stack.call("POST", "/auth/token", json={"email": email, "password": password})
    assert r.status_code == 200, r.text
    return r.json()


def _account(stack, admin: str, email: str) -> dict:  # type: ignore[no-untyped-def]
    found = stack.call("GET", "/accounts", admin, params={"email": email})
    assert found.status_code == 200, found.text
    (account,) = [a for a in found.json()["items"] if a["email"] == email]
    return account


def day_in_italy(moment: datetime) -> str:
    from wecare_common.clock import ROME

    return moment.astimezone(ROME).date().isoformat()


def _links_to(database_url: str, email: str) -> int:
    from gateway.models import outbox
    from sqlalchemy import Text, func, select
    from wecare_common.db import make_engine

    engine = make_engine("gateway", database_url)
    with engine.connect() as conn:
        found = conn.scalar(select(func.count()).select_from(outbox).where(
            outbox.c.event_type == "password.reset_requested",
            outbox.c.envelope.cast(Text).contains(email)))
    engine.dispose()
    return int(found or 0)


def test_an_operator_disables_an_account_and_every_session_ends_at_once(
        stack, admin, company, fake, database_url) -> None:
    employee = add_employee(stack, company, fake)
    first, second = (_login(stack, employee["email"], PASSWORD) for _ in range(2))
    for login in (first, second):
        assert stack.call("GET", "/me/wallet", login["access_token"]).status_code == 200
    account = _account(stack, admin, employee["email"])
    assert (account["role"], account["status"], account["employee_id"]) == (
        "employee", "active", employee["id"])

    r = stack.call("POST", f"/accounts/{account['id']}/access", admin,
                   json={"enabled": False})
    assert r.status_code == 200 and r.json()["status"] == "disabled", r.text
    for login in (first, second):  # at once: access tokens and refresh tokens
        assert stack.call("GET", "/me/wallet", login["access_token"]).status_code == 401
        assert stack.call("POST", "/auth/refresh", json={
            "refresh_token": login["refresh_token"]}).status_code == 401
    r = stack.call("POST", "/auth/token", json={"email": employee["email"],
                                                "password": PASSWORD})
    assert r.status_code == 403 and r.json()["error"]["code"] == "account_disabled"
    wrong = stack.call("POST", "/auth/token", json={"email": employee["email"],
                                                    "password": "not-the-password"})
    assert wrong.status_code == 401  # nothing told to who does not know the password
    assert stack.call("POST", "/auth/password-reset",
                      json={"email": employee["email"]}).status_code == 202
    assert _links_to(database_url, employee["email"]) == 0

    me = stack.call("GET", "/me", admin).json()
    own = stack.call("POST", f"/accounts/{me['user_id']}/access", admin,
                     json={"enabled": False})
    assert own.status_code == 409 and own.json()["error"]["code"] == "not_yourself"

    r = stack.call("POST", f"/accounts/{account['id']}/access", admin, json={"enabled": True})
    assert r.status_code == 200 and r.json()["status"] == "active"
    again = _login(stack, employee["email"], PASSWORD)
    assert stack.call("GET", "/me/wallet", again["access_token"]).status_code == 200
    assert stack.call("GET", "/me/wallet", first["access_token"]).status_code == 401


def test_on_another_gateway_replica_a_disabled_account_stops_within_two_seconds(
        stack, admin, company, fake) -> None:
    """JWTs live 30 minutes; each request checks its session, believed alive for
    SESSION_CHECK_TTL on the replica that last looked: that, not the token's lifetime,
    bounds how long a disabled account's token still works elsewhere."""
    import nameko
    from gateway.service import GatewayService
    from gateway.users import SESSION_CHECK_TTL
    from nameko.containers import get_container_cls
    from support import free_port

    employee = add_employee(stack, company, fake)
    token = _login(stack, employee["email"], PASSWORD)["access_token"]
    account = _account(stack, admin, employee["email"])
    port = free_port()
    with nameko.config.patch({"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}):
        other = get_container_cls()(GatewayService)
        other.start()
    try:
        elsewhere = f"http://127.0.0.1:{port}/api/v1/me/wallet"
        headers = {"Authorization": f"Bearer {token}"}
        assert requests.get(elsewhere, headers=headers, timeout=10).status_code == 200
        stack.call("POST", f"/accounts/{account['id']}/access", admin,
                   json={"enabled": False})
        disabled = time.monotonic()
        while requests.get(elsewhere, headers=headers, timeout=10).status_code == 200:
            assert time.monotonic() - disabled < SESSION_CHECK_TTL + 1.0
            time.sleep(0.1)
        assert requests.get(elsewhere, headers=headers, timeout=10).status_code == 401
    finally:
        other.stop()


def test_hr_removes_a_colleague_s_hr_access(stack, admin, company, fake) -> None:
    email = fake.email("colleague")
    r = stack.call("POST", f"/companies/{company.id}/hr-invitations", company.hr,
                   json={"email": email, "first_name": "Carla", "last_name": "Verdi"})
    assert r.status_code == 201, r.text
    colleague_id = r.json()["id"]
    listed = {a["id"]: a for a in stack.call(
        "GET", f"/companies/{company.id}/hr-managers", company.hr).json()["items"]}
    assert listed[colleague_id]["status"] == "invited"
    mail = stack.smtp.wait_for(lambda m: m["To"] == email)[-1]
    link = mail.get_body(preferencelist=("plain",)).get_content().split(
        "/password/new?token=", 1)[1].split()[0]
    colleague = stack.call("POST", "/auth/password", json={
        "token": link, "password": "carla-password-1"}).json()
    assert stack.call("GET", f"/companies/{company.id}", colleague["access_token"]
                      ).status_code == 200

    other = stack.call("POST", "/companies", admin, json={
        "name": "Altra", "vat_number": fake.vat_number(),
        "hr_manager": {"email": fake.email("hr"), "first_name": "A", "last_name": "B",
                       "password": "hr-password-123"}}).json()
    stranger = stack.token(other["hr_manager"]["email"], "hr-password-123")
    assert stack.call("POST", f"/companies/{company.id}/hr-managers/{colleague_id}/removal",
                      stranger).status_code == 404  # another company's HR
    assert stack.call("POST", f"/companies/{other['id']}/hr-managers/{colleague_id}/removal",
                      stranger).status_code == 404  # not one of theirs

    r = stack.call("POST", f"/companies/{company.id}/hr-managers/{colleague_id}/removal",
                   company.hr)
    assert r.status_code == 200 and r.json()["status"] == "removed", r.text
    assert stack.call("GET", f"/companies/{company.id}", colleague["access_token"]
                      ).status_code == 401
    assert stack.call("POST", "/auth/refresh", json={
        "refresh_token": colleague["refresh_token"]}).status_code == 401
    r = stack.call("POST", "/auth/token", json={"email": email,
                                                "password": "carla-password-1"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "account_disabled"
    listed = {a["id"]: a for a in stack.call(
        "GET", f"/companies/{company.id}/hr-managers", company.hr).json()["items"]}
    assert listed[colleague_id]["status"] == "removed"
    me = stack.call("GET", "/me", company.hr).json()["user_id"]
    r = stack.call("POST", f"/companies/{company.id}/hr-managers/{me}/removal", company.hr)
    assert r.status_code == 409 and r.json()["error"]["code"] == "not_yourself"


def _fund(stack, company) -> int:  # type: ignore[no-untyped-def]
    return stack.call("GET", f"/companies/{company.id}", company.hr).json()[
        "fund_balance_cents"]


def test_a_departed_employee_reads_for_a_while_buys_nothing_and_gives_back_to_the_fund(
        stack, admin, company, fake, tmp_path, monkeypatch) -> None:
    from support.e2e import approved_provider
    from wecare_common import clock

    # no offline acceptance: a cancellation takes effect at once (docs/offline.md)
    provider = approved_provider(stack, admin, fake, price_cents=1_500, offline_hours=0)
    employee, token, _ = funded_employee(stack, admin, company, fake, 5_000)
    kept, cancelled = (buy(stack, token, provider.offering_id).json() for _ in range(2))
    fund = _fund(stack, company)

    r = stack.call("POST", f"/companies/{company.id}/employees/{employee['id']}/departure",
                   company.hr, json={"left_on": datetime.now(UTC).date().isoformat()})
    assert r.status_code == 200 and r.json()["status"] == "left", r.text
    deadline = time.monotonic() + 10  # the wallet hears `employee.left`: credit to the fund
    while _fund(stack, company) != fund + 2_000:
        assert time.monotonic() < deadline
        time.sleep(0.1)

    # read-only: reads and downloads, every answer saying until when
    me = stack.call("GET", "/me", token)
    assert me.status_code == 200
    until = datetime.fromisoformat(me.json()["read_only_until"])
    assert timedelta(days=29, hours=23) < until - datetime.now(UTC) <= timedelta(days=30)
    assert me.headers["WeCare-Read-Only-Until"] == until.isoformat()
    assert stack.call("GET", "/me/wallet", token).status_code == 200
    statement = stack.call("GET", "/me/statement.csv", token)
    assert statement.status_code == 200 and statement.headers["Content-Type"].startswith(
        "text/csv")
    lines = statement.text.splitlines()
    assert lines[0] == "occurred_at;kind;plan_id;plan_name;amount_cents" and len(lines) >= 4
    # buys nothing, asks nothing
    refused = buy(stack, token, provider.offering_id)
    assert refused.status_code == 403
    assert refused.json()["error"]["code"] == "read_only_after_leaving"
    assert refused.json()["error"]["params"] == {"until": day_in_italy(until)}
    r = stack.call("POST", "/me/provider-proposals", token, json={
        "name": "Palestra", "city": "Alba", "email": fake.email("gym"),
        "category": "wellbeing"})
    assert r.status_code == 403
    # a voucher cancelled after leaving: its credit goes to the company fund
    r = stack.call("POST", f"/me/vouchers/{cancelled['id']}/cancellation", token)
    assert r.status_code == 200 and r.json()["status"] == "cancelled", r.text
    assert _fund(stack, company) == fund + 2_000 + 1_500
    wallet = stack.call("GET", "/me/wallet", token).json()
    assert sum(p["balance_cents"] for p in wallet["plans"]) == 0
    assert stack.call("GET", f"/me/vouchers/{kept['id']}", token).json()["status"] == "issued"
    assert stack.call("GET", "/ledger/audit", admin).json()["balanced"]

    # 30 days later their access has ended: no session, no sign-in
    from gateway import users

    monkeypatch.setenv(clock.CLOCK_FILE, str(tmp_path / "clock"))
    clock.move(tmp_path / "clock", timedelta(days=30, minutes=1))
    users.forget_sessions()  # this replica's 2 s belief, not waited for
    assert stack.call("GET", "/me", token).status_code == 401
    r = stack.call("POST", "/auth/token", json={"email": employee["email"],
                                                "password": PASSWORD})
    assert r.status_code == 403 and r.json()["error"]["code"] == "access_ended"
    assert r.json()["error"]["params"] == {"ended_on": day_in_italy(until)}


def test_a_departure_retried_after_the_gateway_died_half_way_still_ends_access(
        stack, company, fake, database_url) -> None:
    """benefits recorded the departure, the gateway died before the account knew:
    HR's retry is told it had left, and the account becomes read-only all the same."""
    from gateway.models import User
    from sqlalchemy import update
    from wecare_common.db import make_engine

    employee = add_employee(stack, company, fake)
    token = _login(stack, employee["email"], PASSWORD)["access_token"]
    path = f"/companies/{company.id}/employees/{employee['id']}/departure"
    body = {"left_on": datetime.now(UTC).date().isoformat()}
    assert stack.call("POST", path, company.hr, json=body).status_code == 200
    engine = make_engine("gateway", database_url)
    with engine.begin() as conn:  # as if the gateway had died before this step
        conn.execute(update(User).where(User.employee_id == employee["id"])
                     .values(left_at=None, access_until=None))
    engine.dispose()
    from gateway import users

    users.forget_sessions()
    assert stack.call("GET", "/me", token).json()["read_only_until"] is None
    again = stack.call("POST", path, company.hr, json=body)
    assert again.status_code == 409
    assert stack.call("GET", "/me", token).json()["read_only_until"] is not None


@pytest.mark.parametrize("days", ["0"])
def test_a_grace_period_of_zero_days_ends_access_at_the_departure(
        stack, company, fake, monkeypatch, days: str) -> None:
    monkeypatch.setenv("WECARE_LEAVER_ACCESS_DAYS", days)
    employee = add_employee(stack, company, fake)
    token = _login(stack, employee["email"], PASSWORD)["access_token"]
    r = stack.call("POST", f"/companies/{company.id}/employees/{employee['id']}/departure",
                   company.hr, json={"left_on": datetime.now(UTC).date().isoformat()})
    assert r.status_code == 200
    assert stack.call("GET", "/me/wallet", token).status_code == 401
    r = stack.call("POST", "/auth/token", json={"email": employee["email"],
                                                "password": PASSWORD})
    assert r.json()["error"]["code"] == "access_ended"
    assert uuid.UUID(employee["id"])
