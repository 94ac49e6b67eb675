"""The system the browser tests drive: WeCare as processes on free ports, the demo
seeded through the public API, every role able to sign in, emails readable."""

from __future__ import annotations

import pytest


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
