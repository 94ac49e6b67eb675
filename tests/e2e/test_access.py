"""Who may call what (OWASP API1 and API5): every path of the gateway is in
this matrix, tried with every role and with another tenant's ids. A new path
without a row here fails the first test."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

import pytest
from sqlalchemy.sql import sqltypes
from support.e2e import (
    add_employee,
    approved_provider,
    buy,
    create_plan,
    fund_company,
)

ROLES = ("admin", "hr", "employee", "provider")
ANYONE = None
PDF = b"%PDF-1.4\n%%EOF\n"


@dataclass(frozen=True)
class Row:
    roles: frozenset[str] | None  # None: no sign-in needed
    owner: str | None = None  # the role whose other-tenant ids must be refused
    body: dict[str, Any] = field(default_factory=dict)
    query: dict[str, Any] = field(default_factory=dict)


def roles(*names: str) -> frozenset[str]:
    return frozenset(names)


SOON = (date.today() + timedelta(days=30)).isoformat()
MATRIX: dict[tuple[str, str], Row] = {
    ("GET", "/health"): Row(ANYONE),
    ("GET", "/api/v1/openapi.json"): Row(ANYONE),
    ("GET", "/api/docs"): Row(ANYONE),
    ("POST", "/api/v1/auth/token"): Row(ANYONE),
    ("POST", "/api/v1/auth/refresh"): Row(ANYONE),
    ("POST", "/api/v1/auth/logout"): Row(roles(*ROLES)),
    ("POST", "/api/v1/auth/password-reset"): Row(ANYONE),
    ("POST", "/api/v1/auth/password"): Row(ANYONE),
    ("POST", "/api/v1/companies/<cid>/hr-invitations"): Row(roles("hr"), "hr", {
        "email": "new-hr@example.test", "first_name": "N", "last_name": "H"}),
    ("POST", "/api/v1/providers"): Row(ANYONE),
    ("GET", "/api/v1/circuit"): Row(ANYONE),
    ("GET", "/api/v1/fiscal-rules"): Row(ANYONE),
    ("POST", "/api/v1/webhooks/stripe"): Row(ANYONE),  # signed instead
    ("POST", "/api/v1/companies"): Row(roles("admin")),
    ("GET", "/api/v1/companies/<cid>"): Row(roles("admin", "hr"), "hr"),
    ("POST", "/api/v1/companies/<cid>/employees"): Row(roles("hr"), "hr", {
        "email": "x@example.test", "first_name": "A", "last_name": "B",
        "fiscal_code": "RSSMRA85T10A562S"}),
    ("POST", "/api/v1/companies/<cid>/employees/import"): Row(roles("hr"), "hr"),
    ("GET", "/api/v1/companies/<cid>/employees"): Row(roles("hr"), "hr"),
    ("POST", "/api/v1/companies/<cid>/employees/import/preview"): Row(roles("hr"), "hr"),
    ("POST", "/api/v1/companies/<cid>/employees/<eid>/invitation"): Row(roles("hr"), "hr"),
    ("GET", "/api/v1/companies/<cid>/dashboard"): Row(roles("hr"), "hr"),
    ("GET", "/api/v1/companies/<cid>/topups"): Row(roles("hr"), "hr"),
    ("GET", "/api/v1/companies/<cid>/funding-options"): Row(roles("hr"), "hr"),
    ("GET", "/api/v1/companies/<cid>/plans"): Row(roles("hr"), "hr"),
    ("PATCH", "/api/v1/plans/<pid>"): Row(roles("hr"), "hr", {"name": "Renamed"}),
    ("POST", "/api/v1/plans/<pid>/grant-check"): Row(roles("hr"), "hr", {
        "amount_cents": 100, "all": True}),
    ("GET", "/api/v1/companies/<cid>/reimbursements/<rid>/receipt"): Row(roles("hr"), "hr"),
    ("POST", "/api/v1/companies/<cid>/employees/<eid>/departure"): Row(
        roles("hr"), "hr", {"left_on": date.today().isoformat()}),
    ("POST", "/api/v1/companies/<cid>/topups"): Row(roles("hr"), "hr", {
        "amount_cents": 100, "method": "bank_transfer"}),
    ("POST", "/api/v1/topups/<tid>/confirmation"): Row(roles("admin")),
    ("POST", "/api/v1/companies/<cid>/plans"): Row(roles("hr"), "hr", {
        "name": "P", "fiscal_year": date.today().year, "valid_from": date.today().isoformat(),
        "valid_until": SOON, "categories": ["education"], "leftover_policy": "return_to_fund"}),
    ("POST", "/api/v1/plans/<pid>/grants"): Row(roles("hr"), "hr", {
        "amount_cents": 100, "all": True}),
    ("GET", "/api/v1/companies/<cid>/reimbursements"): Row(roles("hr"), "hr"),
    ("POST", "/api/v1/reimbursements/<rid>/decision"): Row(roles("hr"), "hr", {
        "approved": True}),
    ("GET", "/api/v1/companies/<cid>/reports/fiscal"): Row(roles("hr"), "hr",
                                                          query={"year": date.today().year}),
    ("GET", "/api/v1/me/wallet"): Row(roles("employee")),
    ("GET", "/api/v1/me/income-estimate"): Row(roles("employee")),
    ("PUT", "/api/v1/me/income-estimate"): Row(roles("employee"), body={"income_cents": 100}),
    ("GET", "/api/v1/me/worth"): Row(roles("employee")),
    ("GET", "/api/v1/companies/<cid>/estimate-settings"): Row(roles("hr"), "hr"),
    ("PUT", "/api/v1/companies/<cid>/estimate-settings"): Row(roles("hr"), "hr", {}),
    ("GET", "/api/v1/me/transactions"): Row(roles("employee")),
    ("POST", "/api/v1/me/vouchers"): Row(roles("employee")),
    ("GET", "/api/v1/me/vouchers"): Row(roles("employee")),
    ("GET", "/api/v1/me/vouchers/<voucher_id>/qr.png"): Row(roles("employee"), "employee"),
    ("POST", "/api/v1/me/vouchers/<voucher_id>/cancellation"): Row(roles("employee"),
                                                                   "employee"),
    ("POST", "/api/v1/me/reimbursements"): Row(roles("employee")),
    ("GET", "/api/v1/me/reimbursements"): Row(roles("employee")),
    ("POST", "/api/v1/me/provider-proposals"): Row(roles("employee")),
    ("GET", "/api/v1/me/provider-proposals"): Row(roles("employee")),
    ("GET", "/api/v1/me/notifications"): Row(roles(*ROLES)),
    ("POST", "/api/v1/me/notifications/<nid>/read"): Row(roles(*ROLES), "employee"),
    ("GET", "/api/v1/me/notification-preferences"): Row(roles("hr", "employee", "provider")),
    ("PUT", "/api/v1/me/notification-preferences"): Row(roles("hr", "employee", "provider")),
    ("GET", "/api/v1/offerings"): Row(roles(*ROLES)),
    ("GET", "/api/v1/offerings/<oid>"): Row(roles(*ROLES)),
    ("GET", "/api/v1/me"): Row(roles(*ROLES)),
    ("GET", "/api/v1/providers/<vid>/offerings"): Row(roles("provider", "admin"), "provider"),
    ("GET", "/api/v1/me/vouchers/<voucher_id>"): Row(roles("employee"), "employee"),
    ("POST", "/api/v1/providers/<vid>/approval"): Row(roles("admin")),
    ("POST", "/api/v1/providers/<vid>/offerings"): Row(roles("provider"), "provider", {
        "title": "T", "category": "education", "price_cents": 100}),
    ("PATCH", "/api/v1/providers/<vid>/offerings/<oid>"): Row(roles("provider"), "provider",
                                                             {"price_cents": 1}),
    ("POST", "/api/v1/providers/<vid>/offerings/<oid>/withdrawal"): Row(roles("provider"),
                                                                        "provider"),
    ("POST", "/api/v1/providers/<vid>/redemptions"): Row(roles("provider"), "provider",
                                                        {"code": "0000-0000-0000-0000-0"}),
    ("GET", "/api/v1/providers/<vid>/settlements"): Row(roles("provider", "admin"), "provider"),
    ("POST", "/api/v1/settlements"): Row(roles("admin")),
    ("GET", "/api/v1/ledger/audit"): Row(roles("admin")),
    ("GET", "/api/v1/notifications/failed"): Row(roles("admin")),
    ("POST", "/api/v1/notifications/failed/retry"): Row(roles("admin")),
    ("GET", "/api/v1/providers"): Row(roles("admin")),
    ("GET", "/api/v1/topups"): Row(roles("admin")),
    ("GET", "/api/v1/settlements/preview"): Row(roles("admin")),
    ("GET", "/api/v1/settlements"): Row(roles("admin")),
    ("GET", "/api/v1/settlements/<sid>"): Row(roles("admin")),
    ("GET", "/api/v1/settlements/<sid>/sepa.xml"): Row(roles("admin")),
    ("GET", "/api/v1/dead-letters"): Row(roles("admin")),
    ("POST", "/api/v1/dead-letters/<mid>/replay"): Row(roles("admin")),
}


@dataclass
class Tenant:
    tokens: dict[str, str]
    ids: dict[str, str]


def tenant(stack, admin, fake) -> Tenant:  # type: ignore[no-untyped-def]
    email = fake.email("hr")
    r = stack.call("POST", "/companies", admin, json={
        "name": "T", "vat_number": fake.vat_number(),
        "hr_manager": {"email": email, "first_name": "H", "last_name": "R",
                       "password": "hr-password-123"}})
    from support.e2e import Company

    company = Company(r.json()["id"], stack.token(email, "hr-password-123"), email)
    employee = add_employee(stack, company, fake)
    token = stack.token(employee["email"], employee["password"])
    topup = fund_company(stack, admin, company, 50_000)
    plan = create_plan(stack, company)
    stack.call("POST", f"/plans/{plan['id']}/grants", company.hr, key=uuid.uuid4().hex,
               json={"amount_cents": 50_000, "employee_ids": [employee["id"]]})
    provider = approved_provider(stack, admin, fake, price_cents=1_000)
    voucher = buy(stack, token, provider.offering_id).json()
    reimbursement = stack.call("POST", "/me/reimbursements", token, key=uuid.uuid4().hex, data={
        "amount_cents": "100", "category": "education",
        "spent_on": date.today().isoformat(), "provider_tax_id": "45678900049",
        "beneficiary_fiscal_code": employee["fiscal_code"]},
        files={"receipt": ("r.pdf", PDF, "application/pdf")}).json()
    import time

    deadline = time.monotonic() + 10
    while not (feed := stack.call("GET", "/me/notifications", token).json()["items"]):
        assert time.monotonic() < deadline
        time.sleep(0.1)
    return Tenant(
        tokens={"admin": admin, "hr": company.hr, "employee": token,
                "provider": provider.token},
        ids={"cid": company.id, "eid": employee["id"], "tid": topup["id"], "pid": plan["id"],
             "rid": reimbursement["id"], "voucher_id": voucher["id"], "nid": feed[0]["id"],
             "vid": provider.id, "oid": provider.offering_id})


@pytest.fixture(scope="module")
def tenants(stack, admin, fake) -> tuple[Tenant, Tenant]:  # type: ignore[no-untyped-def]
    return tenant(stack, admin, fake), tenant(stack, admin, fake)


def fill(path: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        path = path.replace(f"<{name}>", value)
    return path.replace("/api/v1", "", 1)


def call(stack, method: str, path: str, token: str | None, row: Row):  # type: ignore
    if path.startswith("/api/v1"):
        return stack.call(method, path[len("/api/v1"):], token, key=uuid.uuid4().hex,
                          json=row.body or None, params=row.query or None)
    import requests

    return requests.request(method, stack.url + path, timeout=10)


def test_every_path_of_the_gateway_has_a_row() -> None:
    from gateway.openapi import routes_of
    from gateway.service import GatewayService

    paths = {(r.method, r.url) for r in routes_of(GatewayService)}
    assert paths - set(MATRIX) == set(), "new paths need a row in MATRIX"
    assert set(MATRIX) - paths == set(), "MATRIX names paths that do not exist"


@pytest.mark.parametrize("method, path", [k for k, row in MATRIX.items() if row.roles])
def test_roles_not_listed_are_refused(stack, tenants, method: str, path: str) -> None:
    a, _ = tenants
    row = MATRIX[(method, path)]
    url = "/api/v1" + fill(path, a.ids)
    assert call(stack, method, url, None, row).status_code == 401
    for role in set(ROLES) - row.roles:
        r = call(stack, method, url, a.tokens[role], row)
        assert r.status_code == 403, (role, method, path, r.status_code, r.text)


@pytest.mark.parametrize("method, path", [k for k, row in MATRIX.items() if row.owner])
def test_another_tenant_s_ids_are_not_found(stack, tenants, method: str, path: str) -> None:
    a, b = tenants
    row = MATRIX[(method, path)]
    r = call(stack, method, "/api/v1" + fill(path, a.ids), b.tokens[row.owner], row)
    assert r.status_code in (403, 404), (method, path, r.status_code, r.text)
    if "<vid>" in path and "<oid>" in path:  # its own provider id, another's offering
        ids = {**a.ids, "vid": b.ids["vid"]}
        r = call(stack, method, "/api/v1" + fill(path, ids), b.tokens["provider"], row)
        assert r.status_code == 404, (method, path, r.status_code, r.text)


def pending_sign_up(database_url: str, fake, role: str, company_id: str | None = None
                    ) -> tuple[str, str]:
    """An account whose sign-up waits on a service that is down (as `signups.sign_up`
    leaves it), given a password and a login session anyway (as a reset link, before
    they waited for the sign-up, allowed): its email and an access token."""
    from gateway.auth import issue_token
    from gateway.models import Base
    from wecare_common.db import make_engine
    from wecare_common.outbox import outbox_sessionmaker
    from wecare_common.rpc import ServiceUnavailable

    from gateway import signups, users

    def down(service: str, method: str):  # type: ignore[no-untyped-def]
        def call(*args: Any, **kwargs: Any) -> dict[str, Any]:
            raise ServiceUnavailable(f"the {service} service is not running")
        return call

    email = fake.email(f"pending-{role}")
    engine = make_engine("gateway", database_url)
    with outbox_sessionmaker(engine, Base.metadata)() as session:
        with pytest.raises(ServiceUnavailable):
            signups.sign_up(session, kind={"hr": "company"}.get(role, role), caller=None,
                            key=None, request_hash="-", email=email, role=role,
                            password="pending-password-1", company_id=company_id, rpc=down,
                            call={"service": "benefits", "method": "m", "args": [],
                                  "kwargs": {}})
        user = users.find_by_email(session, email)
        assert user is not None  # recorded, not linked: no employee or provider id
        assert (user.company_id, user.employee_id, user.provider_id) == (company_id, None, None)
        user.password_hash = users.hash_password("pending-password-1")
        session.commit()
        principal, _ = users.start_session(session, users.principal_of(user))
    engine.dispose()
    return email, issue_token(principal)["access_token"]


def reset_links_to(database_url: str, email: str) -> int:
    from gateway.models import outbox
    from sqlalchemy import func, select
    from wecare_common.db import make_engine

    engine = make_engine("gateway", database_url)
    with engine.connect() as conn:
        found = conn.scalar(select(func.count()).select_from(outbox).where(
            outbox.c.event_type == "password.reset_requested",
            outbox.c.envelope.cast(sqltypes.Text).contains(email)))
    engine.dispose()
    return int(found or 0)


@pytest.mark.parametrize("role", ["hr", "employee", "provider"])
def test_an_account_whose_sign_up_is_unfinished_gets_403_everywhere(
        stack, tenants, fake, database_url, role: str) -> None:
    """No scope means no access: an account whose company, employee or provider link is
    missing (its sign-up waits on benefits or catalog) is refused on every route of its
    role, never served every tenant's rows; signing in and resetting wait for the
    sign-up to be done."""
    a, _ = tenants
    email, token = pending_sign_up(database_url, fake, role,
                                   company_id=a.ids["cid"] if role == "employee" else None)
    for (method, path), row in MATRIX.items():
        if row.roles and role in row.roles and path != "/api/v1/auth/logout":
            r = call(stack, method, "/api/v1" + fill(path, a.ids), token, row)
            assert r.status_code == 403, (method, path, r.status_code, r.text[:200])
    assert call(stack, "POST", "/api/v1/auth/logout", token,
                MATRIX[("POST", "/api/v1/auth/logout")]).status_code == 403
    r = stack.call("POST", "/auth/token", json={"email": email,
                                                "password": "pending-password-1"})
    assert r.status_code == 403 and "email" in r.json()["error"]["fields"]
    assert stack.call("POST", "/auth/password-reset", json={"email": email}).json() == {
        "accepted": True}
    assert reset_links_to(database_url, email) == 0  # no link until the sign-up is done


@pytest.mark.parametrize("path, body, field_name", [
    ("/me/vouchers", {"offering_id": "x", "amount_cents": 1}, "amount_cents"),
    ("/me/notification-preferences", {"non_essential_email": False, "role": "admin"}, "role"),
])
def test_fields_a_role_may_not_set_are_refused(stack, tenants, path, body, field_name) -> None:
    a, _ = tenants
    method = "PUT" if "preferences" in path else "POST"
    r = stack.call(method, path, a.tokens["employee"], key=uuid.uuid4().hex, json=body)
    assert r.status_code == 400 and field_name in r.json()["error"]["fields"]


def test_an_applicant_cannot_approve_itself_or_set_its_commission(stack, fake) -> None:
    r = stack.call("POST", "/providers", json={
        "name": "Furbo", "vat_number": fake.vat_number(), "categories": ["education"],
        "address": "Via 1", "lat": 45.0, "lon": 7.6, "email": fake.email(),
        "password": "furbo-password-1", "iban": "IT60X0542811101000000123456",
        "status": "approved", "commission_bps": 0})
    assert r.status_code == 400
    assert {"status", "commission_bps"} <= set(r.json()["error"]["fields"])


def sign_in(stack, email: str, password: str, address: str,  # type: ignore[no-untyped-def]
            url: str | None = None):
    """A sign-in from a client address (the stack's gateway trusts its own machine's
    X-Forwarded-For, as it trusts the web app's)."""
    import requests

    return requests.post(f"{url or stack.url}/api/v1/auth/token", timeout=30,
                         json={"email": email, "password": password},
                         headers={"X-Forwarded-For": address})


def within_one_window(seconds: float, window_s: int = 300) -> None:
    """Sign-in limits count in fixed windows (gateway/gateway/limits.py): a test that
    needs `seconds` inside one waits for the next window when this one ends sooner."""
    import time

    left = window_s - time.time() % window_s
    if left < seconds:
        time.sleep(left + 0.5)


def test_repeated_wrong_passwords_lock_that_address_only(stack, company, fake) -> None:
    """Guessing from one address locks that account from that address; the person
    still signs in with the right password from any other."""
    within_one_window(30)
    employee = add_employee(stack, company, fake)
    email, right = employee["email"], employee["password"]
    statuses = [sign_in(stack, email, f"guess-{n}", "203.0.113.66").status_code
                for n in range(7)]
    assert statuses[:5] == [401] * 5 and statuses[5:] == [429, 429]
    r = sign_in(stack, email, right, "203.0.113.66")
    assert r.status_code == 429 and int(r.headers["Retry-After"]) > 0
    assert r.json()["error"]["code"] == "rate_limited"
    assert sign_in(stack, email, right, "198.51.100.23").status_code == 200
    for n in range(6):  # good sign-ins do not use up the window
        assert sign_in(stack, email, right, "198.51.100.24").status_code == 200, n


def test_an_address_trying_many_accounts_is_stopped(stack, fake) -> None:
    within_one_window(60)
    statuses = [sign_in(stack, fake.email("nobody"), "guess", "203.0.113.99").status_code
                for _ in range(52)]
    assert statuses[:50] == [401] * 50 and statuses[50:] == [429, 429]


def test_concurrent_guesses_on_two_gateways_get_five_tries_in_all(stack, company, fake,
                                                                   database_url) -> None:
    """The count is atomic across replicas: twenty guesses at once, split between two
    gateways on the same database, get five answers of 401 and fifteen of 429."""
    import eventlet
    import nameko
    from gateway.service import GatewayService
    from nameko.containers import get_container_cls
    from support import free_port

    employee = add_employee(stack, company, fake)
    within_one_window(30)
    port = free_port()
    with nameko.config.patch({"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}):
        second = get_container_cls()(GatewayService)
        second.start()
    try:
        urls = [stack.url, f"http://127.0.0.1:{port}"]
        pool = eventlet.GreenPool(20)
        statuses = list(pool.imap(lambda n: sign_in(
            stack, employee["email"], f"guess-{n}", "203.0.113.77", urls[n % 2]).status_code,
            range(20)))
    finally:
        second.stop()
    assert sorted(statuses) == [401] * 5 + [429] * 15, statuses


def test_a_provider_guessing_codes_is_stopped(stack, admin, fake) -> None:
    provider = approved_provider(stack, admin, fake)
    statuses = [stack.call("POST", f"/providers/{provider.id}/redemptions", provider.token,
                           key=uuid.uuid4().hex,
                           json={"code": f"0000-0000-0000-{n:04d}-0"}).status_code
                for n in range(12)]
    assert statuses[:10] == [404] * 10 and statuses[10:] == [429, 429]


def test_refresh_rotates_and_logout_ends_the_session(stack, admin, company, fake) -> None:
    employee = add_employee(stack, company, fake)
    login = stack.call("POST", "/auth/token", json={
        "email": employee["email"], "password": employee["password"]}).json()
    refreshed = stack.call("POST", "/auth/refresh",
                           json={"refresh_token": login["refresh_token"]})
    assert refreshed.status_code == 200
    again = stack.call("POST", "/auth/refresh", json={"refresh_token": login["refresh_token"]})
    assert again.status_code == 401  # a refresh token is spent once used
    token = refreshed.json()["access_token"]
    assert stack.call("GET", "/me/wallet", token).status_code == 200
    assert stack.call("POST", "/auth/logout", token).status_code == 200
    assert stack.call("GET", "/me/wallet", token).status_code == 401
    assert stack.call("GET", "/me/wallet", login["access_token"]).status_code == 401
    assert stack.call("POST", "/auth/refresh", json={
        "refresh_token": refreshed.json()["refresh_token"]}).status_code == 401


def _link_token(stack, email: str, subject: str) -> str:  # type: ignore[no-untyped-def]
    mail = stack.smtp.wait_for(lambda m: m["To"] == email and subject in m["Subject"])[-1]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    return text.split("/password/new?token=", 1)[1].split()[0]


def test_invited_people_set_their_password_once_and_resets_work(stack, company, fake) -> None:
    email = fake.email("newhr")
    r = stack.call("POST", f"/companies/{company.id}/hr-invitations", company.hr,
                   json={"email": email, "first_name": "Nina", "last_name": "Rossi"})
    assert r.status_code == 201 and r.json()["role"] == "hr"
    token = _link_token(stack, email, "invitato")
    r = stack.call("POST", "/auth/password", json={"token": token,
                                                    "password": "nina-password-1"})
    assert r.status_code == 200 and r.json()["role"] == "hr"
    assert stack.call("GET", f"/companies/{company.id}", r.json()["access_token"]
                      ).status_code == 200
    again = stack.call("POST", "/auth/password", json={"token": token,
                                                        "password": "other-password-1"})
    assert again.status_code == 401  # a link works once

    unknown = stack.call("POST", "/auth/password-reset", json={"email": fake.email()})
    known = stack.call("POST", "/auth/password-reset", json={"email": email})
    assert unknown.status_code == known.status_code == 202
    assert unknown.json() == known.json()  # no telling which accounts exist
    reset = _link_token(stack, email, "Reimposta")
    r = stack.call("POST", "/auth/password", json={"token": reset,
                                                    "password": "nina-password-2"})
    assert r.status_code == 200
    assert stack.call("GET", "/me/notifications", stack.token(email, "nina-password-2")
                      ).status_code == 200


def test_an_employee_added_without_a_password_is_invited(stack, company, fake) -> None:
    email = fake.email("invited")
    r = stack.call("POST", f"/companies/{company.id}/employees", company.hr, json={
        "email": email, "first_name": "Ivo", "last_name": "Blu",
        "fiscal_code": fake.fiscal_code()})
    assert r.status_code == 201
    token = _link_token(stack, email, "invitato")
    r = stack.call("POST", "/auth/password", json={"token": token,
                                                    "password": "ivo-password-12"})
    assert r.status_code == 200 and r.json()["role"] == "employee"
    assert stack.call("GET", "/me/wallet", r.json()["access_token"]).status_code == 200


def test_idempotency_keys_belong_to_their_caller(stack, admin, fake) -> None:
    """Two HR managers using the same key each get their own top-up."""
    from support.e2e import Company

    companies = []
    for _ in range(2):
        email = fake.email("hr")
        r = stack.call("POST", "/companies", admin, json={
            "name": "K", "vat_number": fake.vat_number(),
            "hr_manager": {"email": email, "first_name": "H", "last_name": "R",
                           "password": "hr-password-123"}})
        companies.append(Company(r.json()["id"], stack.token(email, "hr-password-123"),
                                 email))
    body = {"amount_cents": 1_000, "method": "bank_transfer"}
    first, second = (stack.call("POST", f"/companies/{c.id}/topups", c.hr, key="same-key",
                                json=body) for c in companies)
    assert first.status_code == second.status_code == 201
    assert first.json()["id"] != second.json()["id"]
    assert first.json()["company_id"] == companies[0].id
    assert second.json()["company_id"] == companies[1].id


def test_the_docs_page_lists_every_path(stack) -> None:
    import requests

    page = requests.get(f"{stack.url}/api/docs", timeout=10)
    assert page.headers["Content-Type"].startswith("text/html")
    for _method, path in MATRIX:
        assert path.replace("<", "{").replace(">", "}") in page.text, path
