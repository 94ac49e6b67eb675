"""The web app through the gateway, as a browser without JavaScript sees it:
one origin for pages and API, sessions in HttpOnly cookies that belong to one
person only, a CSRF token on every form, a double submit that buys once."""

from __future__ import annotations

import re

import requests
from support.e2e import approved_provider, funded_employee

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')
KEY = re.compile(r'name="idempotency_key" value="([^"]+)"')


def form_value(html: str, pattern: re.Pattern[str]) -> str:
    match = pattern.search(html)
    assert match, html[:2000]
    return match.group(1)


def sign_in(url: str, email: str, password: str) -> requests.Session:
    browser = requests.Session()
    page = browser.get(f"{url}/", timeout=10)
    r = browser.post(f"{url}/sign-in", allow_redirects=False, timeout=10, data={
        "csrf_token": form_value(page.text, CSRF), "email": email, "password": password})
    assert r.status_code == 303, r.text[:500]
    return browser


def test_pages_and_the_api_share_one_origin_with_a_strict_policy(stack) -> None:
    page = requests.get(f"{stack.url}/", timeout=10)
    assert page.status_code == 200 and "text/html" in page.headers["Content-Type"]
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    cookie = page.headers["Set-Cookie"]
    assert "wecare_csrf=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert '<html lang="it">' in page.text  # Italian by default
    assert page.headers["Content-Encoding"] == "gzip"  # compressed by the web app, kept so
    css = requests.get(stack.url + re.search(r'href="(/static/css/[^"]+)"', page.text)[1],
                       timeout=10)
    assert css.headers["Content-Encoding"] == "gzip" and "immutable" in css.headers[
        "Cache-Control"] and ".button" in css.text
    english = requests.get(f"{stack.url}/", headers={"Accept-Language": "en-GB,en"},
                           timeout=10)
    assert '<html lang="en">' in english.text and "Sign in" in english.text
    api = requests.get(f"{stack.url}/api/v1/no-such-thing", timeout=10)
    assert api.status_code == 404 and api.json()["error"]["code"] == "not_found"
    assert requests.get(f"{stack.url}/health", timeout=10).json()["services"]


def test_a_form_without_its_csrf_token_changes_nothing(stack, admin, company, fake) -> None:
    employee, _, _ = funded_employee(stack, admin, company, fake, 10_000)
    r = requests.post(f"{stack.url}/sign-in", allow_redirects=False, timeout=10, data={
        "email": employee["email"], "password": employee["password"]})
    assert r.status_code == 400 and "wecare_at" not in r.headers.get("Set-Cookie", "")


def test_a_session_belongs_to_its_browser_only(stack, admin, company, fake) -> None:
    employee, _, _ = funded_employee(stack, admin, company, fake, 10_000)
    mine = sign_in(stack.url, employee["email"], employee["password"])
    assert mine.get(f"{stack.url}/home", timeout=10).status_code == 200
    cookie = next(c for c in mine.cookies if c.name == "wecare_at")
    assert cookie.has_nonstandard_attr("HttpOnly")
    stranger = requests.Session()
    r = stranger.get(f"{stack.url}/home", allow_redirects=False, timeout=10)
    assert r.status_code == 303 and r.headers["Location"].startswith("/?next=")
    assert "wecare_at" not in stranger.cookies


def test_wrong_password_is_said_beside_the_field_and_the_email_stays(stack) -> None:
    browser = requests.Session()
    page = browser.get(f"{stack.url}/", timeout=10)
    r = browser.post(f"{stack.url}/sign-in", timeout=10, data={
        "csrf_token": form_value(page.text, CSRF), "email": "nobody@example.com",
        "password": "wrong-password-1"})
    assert r.status_code == 400
    assert 'value="nobody@example.com"' in r.text
    assert "non sono corretti" in r.text and 'href="#f-email"' in r.text


def test_the_buy_form_buys_once_however_often_it_is_sent(stack, admin, company, fake) -> None:
    provider = approved_provider(stack, admin, fake, price_cents=2_500)
    employee, token, _ = funded_employee(stack, admin, company, fake, 10_000)
    browser = sign_in(stack.url, employee["email"], employee["password"])
    for _ in range(50):  # the wallet hears of a new offering through an event
        offering = browser.get(f"{stack.url}/offerings/{provider.offering_id}", timeout=10)
        if offering.status_code == 200 and "f-plan_id" not in offering.text:
            break
    assert offering.status_code == 200, offering.text[:500]
    form = {"csrf_token": form_value(offering.text, CSRF),
            "idempotency_key": form_value(offering.text, KEY)}
    answers = [browser.post(f"{stack.url}/offerings/{provider.offering_id}/buy", data=form,
                            allow_redirects=False, timeout=30) for _ in range(3)]
    assert {a.status_code for a in answers} == {303}, [a.text[:300] for a in answers]
    assert len({a.headers["Location"] for a in answers}) == 1  # one voucher, three taps
    vouchers = stack.call("GET", "/me/vouchers", token).json()["items"]
    assert len(vouchers) == 1 and vouchers[0]["amount_cents"] == 2_500
    voucher = browser.get(stack.url + answers[0].headers["Location"], timeout=10)
    assert vouchers[0]["code"] in voucher.text and '<svg role="img"' in voucher.text
    assert "25,00\xa0€" in voucher.text
    assert stack.call("GET", "/me/wallet", token).json()["total_cents"] == 7_500


def test_the_invitation_email_opens_the_page_that_sets_the_first_password(
        stack, company, fake) -> None:
    email = fake.email("invited")
    r = stack.call("POST", f"/companies/{company.id}/employees", company.hr, json={
        "email": email, "first_name": "Ada", "last_name": "Neri",
        "fiscal_code": fake.fiscal_code()})
    assert r.status_code == 201, r.text
    # the invitation (a welcome email from the enrolment may come first)
    mail = stack.smtp.wait_for(lambda m: m["To"] == email and "/password/new?token=" in (
        m.get_body(preferencelist=("plain",)).get_content()))[-1]
    text = mail.get_body(preferencelist=("plain",)).get_content()
    link = re.search(r"https?://\S+/password/new\?token=[\w-]+", text)[0]
    path = link.split("/", 3)[3]
    browser = requests.Session()
    page = browser.get(f"{stack.url}/{path}", timeout=10)
    assert page.status_code == 200 and 'name="token"' in page.text
    token = re.search(r'name="token" value="([^"]+)"', page.text)[1]
    old = browser.get(f"{stack.url}/set-password?token={token}", allow_redirects=False,
                      timeout=10)  # links emailed before still work
    assert old.status_code == 301 and old.headers["Location"].endswith(f"token={token}")
    r = browser.post(f"{stack.url}/password/new", allow_redirects=False, timeout=10, data={
        "csrf_token": form_value(page.text, CSRF), "token": token,
        "password": "a long first password", "password_again": "a long first password"})
    assert r.status_code == 303 and r.headers["Location"] == "/home", r.text[:500]
    assert browser.get(f"{stack.url}/home", timeout=10).status_code == 200
    assert stack.token(email, "a long first password")
