"""Who may call what (OWASP API1 and API5), generated from the gateway's route table
(`@api(…, roles=…)` in gateway/gateway/rooms/, the table docs/api.md#access-matrix shows):
every route asked by nobody, by each role it does not admit, by each role it admits (the
documented answer, not only "not refused"), and by a person of another company or
provider with this one's ids. The requests are declared once per route
(tests/support/routes.py); a new route without its row fails the first test."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy.sql import sqltypes
from support.e2e import add_employee, approved_provider
from support.routes import (
    MATRIX,
    ROLES,
    ROUTES,
    Row,
    Tenant,
    make_tenant,
    roles_of,
    scoped,
)
from support.routes import call as ask


@pytest.fixture(scope="module")
def tenants(stack, admin, fake) -> tuple[Tenant, Tenant]:  # type: ignore[no-untyped-def]
    return make_tenant(stack, admin, fake), make_tenant(stack, admin, fake)


def fill(path: str, ids: dict[str, str]) -> str:
    for name, value in ids.items():
        path = path.replace(f"<{name}>", value)
    return path.replace("/api/v1", "", 1)


def call(stack, method: str, path: str, token: str | None, row: Row):  # type: ignore
    """A route asked with a token and nothing else (a refusal comes before any body)."""
    import requests

    headers = {"Authorization": f"Bearer {token}"} if token else {}
    return requests.request(method, stack.url + path, timeout=30, headers={
        **headers, "Idempotency-Key": uuid.uuid4().hex})


SIGNED_IN = [k for k in MATRIX if k in ROUTES and roles_of(k)]


def test_every_route_of_the_gateway_has_a_row() -> None:
    assert set(ROUTES) - set(MATRIX) == set(), "new routes need a row in support/routes.py"
    assert set(MATRIX) - set(ROUTES) == set(), "MATRIX names routes that do not exist"


@pytest.mark.parametrize("key", SIGNED_IN, ids="{0[0]} {0[1]}".format)
def test_nobody_and_the_roles_not_admitted_are_refused(stack, tenants, key) -> None:
    a, _ = tenants
    method, path = key
    admitted = roles_of(key) or frozenset()
    r = call(stack, method, "/api/v1" + fill(path, a.ids), None, MATRIX[key])
    assert r.status_code == 401, (method, path, r.status_code, r.text[:200])
    for role in set(ROLES) - admitted:
        r = call(stack, method, "/api/v1" + fill(path, a.ids_for(role)), a.tokens[role],
                 MATRIX[key])
        assert r.status_code == 403, (role, method, path, r.status_code, r.text[:200])


def _each_admitted(key: tuple[str, str]) -> list[str | None]:
    admitted = roles_of(key)
    return [None] if admitted is None else [r for r in ROLES if r in admitted]


@pytest.mark.parametrize("key, role", [(k, role) for k in MATRIX if k in ROUTES
                                       for role in _each_admitted(k)],
                         ids=lambda v: v if isinstance(v, str) else
                         ("anyone" if v is None else f"{v[0]} {v[1]}"))
def test_each_role_admitted_gets_the_documented_answer(stack, admin, tenants, fake,
                                                       key, role) -> None:
    a, _ = tenants
    row = MATRIX[key]
    ids = {**a.ids_for(role), **(row.fresh(stack, admin, a, fake) if row.fresh else {})}
    r = ask(stack, key, row, role, a, fake, ids=ids)
    expected = row.expected(ROUTES[key], role)
    assert r.status_code == expected, (role, key, r.status_code, r.text[:300])


@pytest.mark.parametrize("key", [k for k in SIGNED_IN if scoped(k, MATRIX[k])],
                         ids="{0[0]} {0[1]}".format)
def test_a_person_of_another_company_or_provider_gets_404_for_this_one_s_ids(
        stack, admin, tenants, fake, key) -> None:
    """Every role the route admits but the operators (who reach every tenant), signed in
    for tenant B, asking with tenant A's ids: 404, as if they did not exist."""
    a, b = tenants
    row = MATRIX[key]
    others = [role for role in _each_admitted(key) if role not in (None, "admin")]
    for role in others:
        ids = {**a.ids_for(role), **(row.fresh(stack, admin, a, fake) if row.fresh else {})}
        ids.pop(f"token:{role}", None)
        r = ask(stack, key, row, role, b, fake, ids=ids, token=b.tokens[role])
        assert r.status_code == 404, (role, key, r.status_code, r.text[:300])
        if "<vid>" in key[1] and "<oid>" in key[1]:  # its own provider id, another's offering
            r = ask(stack, key, row, role, b, fake, ids={**ids, "vid": b.ids["vid"]},
                    token=b.tokens[role])
            assert r.status_code == 404, (role, key, r.status_code, r.text[:300])


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
        assert (user.company_id, user.employee_id, user.provider_id, user.network_id) == (
            company_id, None, None, None)
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


@pytest.mark.parametrize("role", ["hr", "employee", "provider", "network"])
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
        admitted = roles_of((method, path))
        if admitted and role in admitted and path != "/api/v1/auth/logout":
            r = call(stack, method, "/api/v1" + fill(path, a.ids), token, row)
            assert r.status_code == 403, (method, path, r.status_code, r.text[:200])
    assert call(stack, "POST", "/api/v1/auth/logout", token,
                MATRIX[("POST", "/api/v1/auth/logout")]).status_code == 403
    r = stack.call("POST", "/auth/token", json={"email": email,
                                                "password": "pending-password-1"})
    assert r.status_code == 403 and r.json()["error"]["code"] == "sign_up_unfinished"
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
    """The count is atomic across replicas: twelve guesses at once, split between two
    gateways on the same database, get five answers of 401 and seven of 429 (twelve,
    not more: each request in flight holds a database connection, and the test's
    PostgreSQL is shared)."""
    import eventlet
    import nameko
    from gateway.service import GatewayService
    from nameko.containers import get_container_cls
    from support import free_port

    employee = add_employee(stack, company, fake)
    port = free_port()
    with nameko.config.patch({"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}):
        second = get_container_cls()(GatewayService)
        second.start()
    try:
        urls = [stack.url, f"http://127.0.0.1:{port}"]
        within_one_window(60)  # the twenty guesses in one window of the limit
        pool = eventlet.GreenPool(12)
        statuses = list(pool.imap(lambda n: sign_in(
            stack, employee["email"], f"guess-{n}", "203.0.113.77", urls[n % 2]).status_code,
            range(12)))
    finally:
        second.stop()
    assert sorted(statuses) == [401] * 5 + [429] * 7, statuses


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
