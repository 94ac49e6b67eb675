"""Fixtures and helpers for end-to-end tests: the whole of WeCare in this
process, every service and the gateway as real nameko containers on a
throwaway vhost and database, and a real SMTP server."""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import nameko
import pytest
import requests
from nameko.containers import get_container_cls

from support import free_port

ADMIN = ("admin@wecare.test", "admin-password-for-tests")


@dataclass
class Stack:
    url: str
    smtp: Any

    def token(self, email: str, password: str) -> str:
        r = requests.post(f"{self.url}/api/v1/auth/token",
                          json={"email": email, "password": password}, timeout=10)
        assert r.status_code == 200, r.text
        return r.json()["access_token"]

    def call(self, method: str, path: str, token: str | None = None, *,
             key: str | None = None, json: Any = None, **kwargs: Any) -> requests.Response:
        headers = {"Authorization": f"Bearer {token}"} if token else {}
        if key is not None:
            headers["Idempotency-Key"] = key
        return requests.request(method, f"{self.url}/api/v1{path}", json=json,
                                headers=headers, timeout=30, **kwargs)


@pytest.fixture(scope="session")
def stack(database_url: str, make_vhost, smtp_sink) -> Iterator[Stack]:
    from benefits.service import BenefitsService
    from catalog.service import CatalogService
    from gateway.service import GatewayService
    from notifications.service import NotificationsService
    from wallet.service import WalletService
    from wecare_common.topology import declare_all


    amqp_uri = make_vhost()
    services = [CatalogService, BenefitsService, WalletService, NotificationsService]
    declare_all(amqp_uri, services)
    env = {"SMTP_URL": smtp_sink.url, "WECARE_ADMIN_EMAIL": ADMIN[0],
           "WECARE_ADMIN_PASSWORD": ADMIN[1], "JWT_SECRET": "e2e-secret-" + "x" * 32}
    previous = {k: os.environ.get(k) for k in env}
    os.environ.update(env)
    patch = nameko.config.patch({"AMQP_URI": amqp_uri})
    patch.start()
    containers = []
    gateway_port = free_port()
    for cls in [*services, GatewayService]:
        port = gateway_port if cls is GatewayService else free_port()
        with nameko.config.patch({"WEB_SERVER_ADDRESS": f"127.0.0.1:{port}"}):
            container = get_container_cls()(cls)
            container.start()
        containers.append(container)
    yield Stack(f"http://127.0.0.1:{gateway_port}", smtp_sink)
    for container in reversed(containers):
        container.stop()
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
    body = {"name": "Welfare 2026", "fiscal_year": 2026, "valid_from": "2026-01-01",
            "valid_until": "2026-12-31", "categories": ["education", "fringe"],
            "leftover_policy": "return_to_fund", **extra}
    r = stack.call("POST", f"/companies/{company.id}/plans", company.hr, json=body)
    assert r.status_code == 201, r.text
    return r.json()
