"""The system the browser tests drive: WeCare as processes on free ports, the demo
seeded through the public API, every role able to sign in, emails readable."""

from __future__ import annotations

import pytest
import requests


def test_the_demo_is_seeded_and_every_role_signs_in(stack) -> None:
    for role in ("admin", "hr", "employee", "provider"):
        assert stack.api.token(*stack.login(role)), role
    wallet = stack.api("GET", "/me/wallet", stack.api.token(*stack.login("employee")))
    assert wallet, "the demo employee has a wallet"


def test_the_demo_s_emails_reach_the_sink(stack) -> None:
    employee, _ = stack.login("employee")
    assert stack.mail.wait_for(lambda m: m["To"] == employee)


def test_pages_and_the_api_share_the_gateway_s_origin(stack, phone, axe) -> None:
    if not stack.web:
        pytest.skip("scripts/run.py does not start the web app yet")
    response = phone.goto("/")
    assert response is not None and response.ok, response and response.status
    assert phone.locator("h1").count() == 1
    axe(phone)


def test_the_demo_network_s_circuit_has_agreed_prices_and_seeding_again_changes_nothing(
        stack) -> None:
    """The demo's network approved the providers of its territory (Turin's and Alba's,
    each with its province) and two accepted its prices: its console, its public circuit
    and, once the demo firm joins, its employees' catalogue show them. The seed, run
    again on the demo, finds it in place."""
    from scripts.seed import seed

    def circuit() -> dict:
        r = requests.get(f"{stack.url}/api/v1/networks/rete-welfare-torino/circuit", timeout=30)
        assert r.status_code == 200, r.text
        return r.json()

    first = circuit()
    assert {(p["name"], p["city"], p["province"]): [
        (o["price_cents"], o["agreed_price_cents"]) for o in p["offers"]]
        for p in first["items"]} == {
        ("Asilo Nido Il Girasole", "Torino", "TO"): [(45_000, 42_000)],
        ("Cooperativa Assistenza Langhe", "Alba", "CN"): [],
        ("Palestra Movimento", "Torino", "TO"): [(15_000, 12_750)]}
    staff = stack.api.token(*stack.login("network"))
    me = stack.api("GET", "/me", staff)
    agreements = stack.api("GET", f"/networks/{me['network_id']}/agreements", staff)["items"]
    assert sorted(a["status"] for a in agreements) == ["active", "active"]
    assert seed(stack.url, *stack.login("admin")) == stack.logins
    assert circuit() == first
    assert len(stack.api("GET", f"/networks/{me['network_id']}/agreements", staff)["items"]) == 2
