"""Rewording a service's English message changes no Italian page (issue 24): the
pages say a refusal by its code and params. The services run in this process, so
every declared message is reworded where the services raise it (the module's own
names), then the same refusals are met again through the pages, in Italian."""

from __future__ import annotations

import dataclasses
import re
import uuid

import pytest
import requests
from support.e2e import approved_provider, funded_employee
from wecare_common.contract import refusals

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
# what differs between two renders of the same page: the form's fresh tokens
FRESH = re.compile(r'(name="(?:csrf_token|idempotency_key)" value=")[^"]+"')


def value(html: str, pattern: re.Pattern[str]) -> str:
    found = pattern.search(html)
    assert found, html[:1000]
    return found.group(1)


def signed_in(url: str, email: str, password: str) -> requests.Session:
    browser = requests.Session()
    browser.headers["Accept-Language"] = "it-IT,it"
    page = browser.get(f"{url}/", timeout=10)
    r = browser.post(f"{url}/sign-in", allow_redirects=False, timeout=10, data={
        "csrf_token": value(page.text, CSRF), "email": email, "password": password})
    assert r.status_code == 303, r.text[:500]
    return browser


def reworded(monkeypatch: pytest.MonkeyPatch) -> int:
    """Every message a service writes itself, reworded (marshmallow's own wording,
    which `problem_of` reads back, stays marshmallow's)."""
    count = 0
    for name, declared in list(vars(refusals).items()):
        if isinstance(declared, refusals.Refusal) and declared.code not in refusals.READ_BACK:
            other = dataclasses.replace(
                declared, message=f"reworded: {declared.message} (said otherwise)")
            monkeypatch.setattr(refusals, name, other)
            monkeypatch.setitem(refusals.CODES, declared.code, other)
            count += 1
    return count


def test_a_reworded_message_changes_no_italian_page(stack, admin, company, fake,
                                                   monkeypatch) -> None:
    nursery = approved_provider(stack, admin, fake, price_cents=5_000)
    gym = approved_provider(stack, admin, fake, category="wellbeing", price_cents=100)
    employee, _, _ = funded_employee(stack, admin, company, fake, 4_999)
    browser = signed_in(stack.url, employee["email"], employee["password"])
    hr = signed_in(stack.url, company.hr_email, "hr-password-123")
    counter = requests.Session()
    counter.headers["Accept-Language"] = "it-IT,it"

    def refused_pages() -> list[str]:
        pages = []
        for offering in (nursery.offering_id, gym.offering_id):  # credit short; not covered
            for _ in range(50):  # the wallet hears of a new offering through an event
                form = browser.get(f"{stack.url}/offerings/{offering}", timeout=10)
                if form.status_code == 200:
                    break
            # the page offers no buy button when nothing can pay: sent as if it did
            answer = browser.post(f"{stack.url}/offerings/{offering}/buy", timeout=30, data={
                "csrf_token": value(form.text, CSRF), "idempotency_key": uuid.uuid4().hex})
            assert answer.status_code == 422, answer.text[:500]
            pages.append(answer.text)
        page = counter.get(f"{stack.url}/", timeout=10)
        wrong = counter.post(f"{stack.url}/sign-in", timeout=10, data={
            "csrf_token": value(page.text, CSRF), "email": employee["email"],
            "password": "not-the-password-1"})
        assert wrong.status_code == 400
        pages.append(wrong.text)
        # an email already taken: a provider's application no longer says so (issue 23.5,
        # the answer is the same whoever owns the address), HR inviting a colleague does
        colleagues = hr.get(f"{stack.url}/hr/colleagues", timeout=10)
        taken = hr.post(f"{stack.url}/hr/colleagues", timeout=30, data={
            "csrf_token": value(colleagues.text, CSRF), "first_name": "Anna",
            "last_name": "Bianchi", "email": employee["email"]})
        assert taken.status_code == 400, taken.text[:500]
        pages.append(taken.text)
        return [FRESH.sub(r'\1"', p) for p in pages]

    before = refused_pages()
    assert "Credito insufficiente" in before[0] and "Nessuno dei tuoi piani" in before[1]
    assert "ha già un account" in before[3]
    assert reworded(monkeypatch) > 100
    refused = requests.post(f"{stack.url}/api/v1/auth/token", timeout=10, json={
        "email": employee["email"], "password": "not-the-password-1"}).json()["error"]
    assert refused["message"].startswith("reworded: ")  # the services say it otherwise now
    after = refused_pages()
    for was, now in zip(before, after, strict=True):
        assert was == now
