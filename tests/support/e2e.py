"""Fixtures and helpers for end-to-end tests: the whole of WeCare in this
process, every service and the gateway as real nameko containers on a
throwaway vhost and database, and a real SMTP server."""

from __future__ import annotations

import os
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

import nameko
import pytest
import requests
from nameko.containers import get_container_cls

from support import free_port
from support.stripe_standin import StripeStandIn

ADMIN = ("admin@wecare.test", "admin-password-for-tests")
WEBHOOK_SECRET = "whsec_test_" + "s" * 16
PUBLISHABLE_KEY = "pk_test_standin"


def a_client_address() -> str:
    """An address of 198.18.0.0/15 (RFC 2544, for tests), a new one each call."""
    n = int.from_bytes(os.urandom(2), "big")
    return f"198.{18 + (n >> 15)}.{(n >> 8) & 0x7F}.{n & 0xFF}"


@dataclass
class Stack:
    url: str
    smtp: Any
    stripe: Any

    def token(self, email: str, password: str) -> str:
        r = requests.post(f"{self.url}/api/v1/auth/token",
                          json={"email": email, "password": password}, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    def call(self, method: str, path: str, token: str | None = None, *,
             key: str | None = None, json: Any = None, headers_extra: dict | None = None,
             **kwargs: Any) -> requests.Response:
        # Each request comes from a client of its own, as WeCare's many users do (the
        # gateway trusts the loopback test client's X-Forwarded-For); a test about one
        # address's limits names it in headers_extra. Without this, every test of a
        # session would share 127.0.0.1's per-address limits, and fail by their order.
        headers = {"X-Forwarded-For": a_client_address()}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        if key is not None:
            headers["Idempotency-Key"] = key
        headers.update(headers_extra or {})
        return requests.request(method, f"{self.url}/api/v1{path}", json=json,
                                headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="session")
def stack(database_url: str, make_vhost, smtp_sink) -> Iterator[Stack]:
    from benefits.service import BenefitsService
    from catalog.service import CatalogService
    from gateway.service import GatewayService
    from notifications.service import NotificationsService
    from wallet.service import WalletService
    from web.service import WebService
    from wecare_common.topology import declare_all


    amqp_uri = make_vhost()
    services = [CatalogService, BenefitsService, WalletService, NotificationsService]
    declare_all(amqp_uri, services)
    stripe = StripeStandIn()
    ports = {cls: free_port() for cls in [*services, GatewayService, WebService]}
    # calls between services go over HTTP, as under `make run` and in Kubernetes
    urls = {f"{cls.name.upper()}_URL": f"http://127.0.0.1:{ports[cls]}" for cls in services}
    env = {**urls, "SMTP_URL": smtp_sink.url, "WECARE_ADMIN_EMAIL": ADMIN[0],
           "WECARE_ADMIN_PASSWORD": ADMIN[1], "JWT_SECRET": "e2e-secret-" + "x" * 32,
           "STRIPE_API_KEY": "sk_test_standin", "STRIPE_API_BASE": stripe.url,
           "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET, "STRIPE_PUBLISHABLE_KEY": PUBLISHABLE_KEY,
           # pages: the gateway forwards them to the web app, a client of the gateway's API
           "WEB_URL": f"http://127.0.0.1:{ports[WebService]}",
           "GATEWAY_URL": f"http://127.0.0.1:{ports[GatewayService]}",
           # bonus offers looked at every second: a deadline a test lets pass is settled
           # while it waits (wecare_common.clock moves the time)
           "WECARE_BONUS_OFFERS_INTERVAL_SECONDS": "1"}
    previous = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    patch = nameko.config.patch({"AMQP_URI": amqp_uri})
    patch.start()
    containers = []
    gateway_port = ports[GatewayService]
    for cls, port in ports.items():
        with nameko.config.patch({"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}):
            container = get_container_cls()(cls)
            container.start()
        containers.append(container)
    yield Stack(f"http://127.0.0.1:{gateway_port}", smtp_sink, stripe)
    for container in reversed(containers):
        container.stop()
    stripe.stop()
    patch.stop()
    for k, v in previous.items():
        if v is None:
            os.environ.pop(k, None)
        else:
            os.environ[k] = v


@pytest.fixture(scope="session")
def admin(stack: Stack) -> str:
    return stack.token(*ADMIN)


@dataclass
class Company:
    id: str
    hr: str  # the HR manager's token
    hr_email: str


@pytest.fixture
def company(stack: Stack, admin: str, fake) -> Company:
    email = fake.email("hr")
    r = stack.call("POST", "/companies", admin, json={
        "name": "Test S.r.l.", "vat_number": fake.vat_number(),
        "hr_manager": {"email": email, "first_name": "Giulia", "last_name": "Neri",
                       "password": "hr-password-123"}})
    assert r.status_code == 201, r.text
    return Company(r.json()["id"], stack.token(email, "hr-password-123"), email)


def add_employee(stack: Stack, company: Company, fake, **extra: Any) -> dict:
    body = {"email": fake.email("employee"), "first_name": "Mario", "last_name": "Rossi",
            "fiscal_code": fake.fiscal_code(), "password": "employee-password-1", **extra}
    r = stack.call("POST", f"/companies/{company.id}/employees", company.hr, json=body)
    assert r.status_code == 201, r.text
    return {**r.json(), "password": body["password"]}


def fund_company(stack: Stack, admin: str, company: Company, cents: int) -> dict:
    r = stack.call("POST", f"/companies/{company.id}/topups", company.hr, key=os.urandom(8).hex(),
                   json={"amount_cents": cents, "method": "bank_transfer"})
    assert r.status_code == 201, r.text
    confirmed = stack.call("POST", f"/topups/{r.json()['id']}/confirmation", admin)
    assert confirmed.status_code == 200, confirmed.text
    return confirmed.json()


def create_plan(stack: Stack, company: Company, **extra: Any) -> dict:
    """A plan valid from a month ago to three months ahead (whatever today is)."""
    today = date.today()
    body = {"name": f"Welfare {today.year}", "fiscal_year": today.year,
            "valid_from": (today - timedelta(days=30)).isoformat(),
            "valid_until": (today + timedelta(days=90)).isoformat(),
            "categories": ["education", "fringe"], "leftover_policy": "return_to_fund",
            **extra}
    r = stack.call("POST", f"/companies/{company.id}/plans", company.hr, json=body)
    assert r.status_code == 201, r.text
    return r.json()


@dataclass
class Provider:
    id: str
    token: str
    offering_id: str
    price_cents: int


def emailed_token(stack: Stack, email: str, page: str, exclude: frozenset[str] = frozenset()
                  ) -> str:
    """The one-time token of an email to `email` whose link opens `page`, other than
    those of `exclude` (a mailbox lists its messages in no order)."""
    marker = f"{page}?token="

    def tokens() -> set[str]:
        return {m.get_body(preferencelist=("plain",)).get_content().split(marker, 1)[1]
                .split()[0] for m in stack.smtp.messages()
                if m["To"] == email and marker in m.get_body(
                    preferencelist=("plain",)).get_content()} - exclude

    deadline = time.monotonic() + 20
    while not (found := tokens()):
        assert time.monotonic() < deadline, f"no email to {email} with a link to {page}"
        time.sleep(0.1)
    assert len(found) == 1, f"{len(found)} new links to {page} for {email}"
    return found.pop()


def apply_as_provider(stack: Stack, body: dict[str, Any], *, key: str | None = None,
                      earlier: frozenset[str] = frozenset()) -> tuple[dict[str, Any], str]:
    """The public application (issue 23.5), confirmed from its email (`earlier`: the
    tokens of earlier applications with this email): (the provider, as its account sees
    it, and its access token)."""
    r = stack.call("POST", "/providers", key=key, json=body)
    assert r.status_code == 202, r.text
    token = emailed_token(stack, body["email"], "/providers/apply/confirm", earlier)
    r = stack.call("POST", "/providers/confirmation", json={"token": token})
    assert r.status_code == 200, r.text
    access = r.json()["access_token"]
    return stack.call("GET", "/me", access).json()["provider"], access


def approved_provider(stack: Stack, admin: str, fake, *, category: str = "education",
                      price_cents: int = 10_000, commission_bps: int = 300,
                      stripe_account_id: str | None = None, offline_hours: int | None = None,
                      **place: str) -> Provider:
    """A provider in the circuit with one offering the wallet already knows; `place`:
    its city and province, when they matter. `offline_hours=0`: its phones accept nothing
    without a network, so its vouchers' cancellations take effect at once (docs/offline.md)."""
    email, password = fake.email("provider"), "provider-password-1"
    r = stack.call("POST", "/providers/enrolment", admin, json={
        "name": "Asilo Test", "vat_number": fake.vat_number(), "categories": [category],
        "address": "Via Po 1, Torino", "lat": 45.07, "lon": 7.69, "email": email,
        "password": password, "iban": "IT60X0542811101000000123456", **place})
    assert r.status_code == 201, r.text
    provider_id = r.json()["id"]
    r = stack.call("POST", f"/providers/{provider_id}/approval", admin, json={
        "status": "approved", "commission_bps": commission_bps,
        "stripe_account_id": stripe_account_id})
    assert r.status_code == 200, r.text
    token = stack.token(email, password)
    r = stack.call("POST", f"/providers/{provider_id}/offerings", token, json={
        "title": "Retta mensile", "category": category, "price_cents": price_cents})
    assert r.status_code == 201, r.text
    if offline_hours is not None:
        limits = stack.call("PUT", f"/providers/{provider_id}/offline-limits", admin, json={
            "voucher_cents": 15_000, "waiting_cents": 50_000, "hours": offline_hours})
        assert limits.status_code == 200, limits.text
    return Provider(provider_id, token, r.json()["id"], price_cents)


def buy(stack: Stack, token: str, offering_id: str, key: str | None = None,
        **extra: Any) -> requests.Response:
    """Buy a voucher, waiting (briefly) for the wallet to hear of a new offering."""
    deadline = time.monotonic() + 10
    while True:
        r = stack.call("POST", "/me/vouchers", token, key=key or uuid.uuid4().hex,
                       json={"offering_id": offering_id, **extra})
        unknown = r.status_code == 404 and "offering_id" in r.json()["error"]["fields"]
        if not unknown or time.monotonic() > deadline:
            return r
        time.sleep(0.05)


def funded_employee(stack: Stack, admin: str, company: Company, fake, cents: int,
                    **plan: Any) -> tuple[dict, str, dict]:
    """An employee with `cents` of credit on a new plan: (employee, token, plan)."""
    employee = add_employee(stack, company, fake)
    fund_company(stack, admin, company, cents)
    plan_view = create_plan(stack, company, **plan)
    r = stack.call("POST", f"/plans/{plan_view['id']}/grants", company.hr,
                   key=uuid.uuid4().hex, json={"amount_cents": cents,
                                               "employee_ids": [employee["id"]]})
    assert r.status_code == 201, r.text
    return employee, stack.token(employee["email"], employee["password"]), plan_view


def offer_window(today: date | None = None) -> tuple[int, date]:
    """(the fiscal year, a deadline) for a bonus offer made today: five days ahead, or
    early January when that would cross the year (an offer's bonus is paid within its
    plan's fiscal year, the day after the deadline)."""
    today = today or date.today()
    deadline = today + timedelta(days=5)
    if deadline < date(today.year, 12, 31):
        return today.year, deadline
    return today.year + 1, date(today.year + 1, 1, 10)
@dataclass
class Network:
    id: str
    slug: str
    token: str  # a staff member's token
    name: str


def create_network(stack: Stack, admin: str, fake, *, name: str = "CNA Test",
                   provinces: tuple[str, ...] = ("TO",), **extra: Any) -> Network:
    """A network with a staff member who chose a password."""
    email, password = fake.email("staff"), "network-password-1"
    r = stack.call("POST", "/networks", admin, json={
        "name": name, "kind": "association", "tax_id": fake.vat_number(),
        "territory": {"provinces": list(provinces), "municipalities": []},
        "staff": {"email": email, "first_name": "Rita", "last_name": "Rete",
                  "password": password}, **extra})
    assert r.status_code == 201, r.text
    return Network(r.json()["id"], r.json()["slug"], stack.token(email, password), name)


def join_network(stack: Stack, network: Network, company: Company,
                 municipality: str = "Torino") -> dict:
    """The network invites the firm by its VAT number; its HR manager accepts."""
    vat = stack.call("GET", f"/companies/{company.id}", company.hr).json()["vat_number"]
    r = stack.call("POST", f"/networks/{network.id}/invitations", network.token, json={
        "vat_number": vat, "municipality": municipality, "province": "TO"})
    assert r.status_code == 201, r.text
    accepted = stack.call("POST", f"/companies/{company.id}/network-invitations/"
                          f"{r.json()['id']}/answer", company.hr, json={"accept": True})
    assert accepted.status_code == 200, accepted.text
    return accepted.json()


def wait_for_price(stack: Stack, token: str, offering_id: str, cents: int) -> None:
    """Until the catalogue shows this employee `cents` for the offering (its copy of
    which network the employee's firm is in follows benefits' events)."""
    deadline = time.monotonic() + 10
    while True:
        detail = stack.call("GET", f"/offerings/{offering_id}", token).json()
        offer = detail.get("network_offer")
        shown = offer["price_cents"] if offer else detail["price_cents"]
        if shown == cents:
            return
        assert time.monotonic() < deadline, detail
        time.sleep(0.05)


def buy_at(stack: Stack, token: str, offering_id: str, cents: int,
           **extra: Any) -> requests.Response:
    """Buy at the price shown (`expected_price_cents`): while the wallet has not heard
    of an agreement yet, it refuses, moving nothing; then it sells at that price."""
    deadline = time.monotonic() + 10
    while True:
        r = buy(stack, token, offering_id, expected_price_cents=cents, **extra)
        changed = r.status_code == 422 and r.json()["error"]["code"] == "price_changed"
        if not changed or time.monotonic() > deadline:
            return r
        time.sleep(0.05)
