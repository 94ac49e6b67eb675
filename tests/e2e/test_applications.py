"""A provider's public application cannot be used to find accounts, to write to
addresses at will, nor to claim an address one cannot read (issue 23.5): it answers the
same whether or not the email is known (what happened goes to the address), a client
address makes a few an hour, and nothing is kept, asked of the catalog or signed in to
until the link emailed to the address is followed."""

from __future__ import annotations

import time
from datetime import timedelta
from typing import Any

from sqlalchemy.orm import Session
from support.e2e import Company, Stack, a_client_address, emailed_token
from wecare_common.db import make_engine

from gateway import signups

CONFIRM = "/providers/apply/confirm"


def application(fake: Any, email: str) -> dict[str, Any]:
    return {"name": "Ludoteca Aperta", "vat_number": fake.vat_number(),
            "categories": ["education"], "address": "Via Po 3", "city": "Torino",
            "province": "TO", "lat": 45.07, "lon": 7.69, "email": email,
            "password": "applicant-password-1", "iban": "IT60X0542811101000000123456"}


def apply(stack: Stack, body: dict[str, Any], address: str | None = None) -> Any:
    return stack.call("POST", "/providers", json=body,
                      headers_extra={"X-Forwarded-For": address or a_client_address()})


def waiting_vat_numbers(stack: Stack, admin: str) -> set[str]:
    found, cursor = set(), None
    while True:
        page = stack.call("GET", "/providers", admin, params={
            "status": "pending", "limit": 200, "cursor": cursor}).json()
        found |= {p["vat_number"] for p in page["items"]}
        if not (cursor := page["next_cursor"]):
            return found


def mail_to(stack: Stack, email: str) -> list[Any]:
    return [m for m in stack.smtp.messages() if m["To"] == email]


def test_the_answer_is_the_same_whether_or_not_the_email_is_known(
        stack: Stack, company: Company, fake: Any) -> None:
    address = a_client_address()
    unknown = apply(stack, application(fake, fake.email("new")), address)
    known = apply(stack, application(fake, company.hr_email), address)  # HR's own address
    assert unknown.status_code == known.status_code == 202, known.text
    assert unknown.json() == known.json() == {"accepted": True}
    # what happened is told to the address alone: there, that it has an account already
    (word,) = stack.smtp.wait_for(lambda m: m["To"] == company.hr_email
                                  and "domanda" in str(m["Subject"]))
    text = word.get_body(preferencelist=("plain",)).get_content()
    assert "già un account" in text and "token=" not in text
    assert stack.token(company.hr_email, "hr-password-123")  # the account is as it was


def test_nobody_claims_an_address_they_cannot_read(stack: Stack, admin: str,
                                                   fake: Any) -> None:
    email = fake.email("claimed")
    body = application(fake, email)
    assert apply(stack, body).status_code == 202
    # until the address confirms it: no sign-in with the form's password, no reset link,
    # nothing for the operators to approve
    signing_in = {"email": email, "password": body["password"]}
    assert stack.call("POST", "/auth/token", json=signing_in).status_code == 401
    assert stack.call("POST", "/auth/password-reset", json={"email": email}).status_code == 202
    assert body["vat_number"] not in waiting_vat_numbers(stack, admin)
    token = emailed_token(stack, email, CONFIRM)
    # the link confirms the application and nothing else: it sets no password
    assert stack.call("POST", "/auth/password", json={
        "token": token, "password": "another-password-1"}).status_code == 401

    r = stack.call("POST", "/providers/confirmation", json={"token": token})
    assert r.status_code == 200, r.text
    me = stack.call("GET", "/me", r.json()["access_token"]).json()
    assert me["role"] == "provider" and me["provider"]["vat_number"] == body["vat_number"]
    assert me["provider"]["status"] == "pending"
    assert body["vat_number"] in waiting_vat_numbers(stack, admin)
    assert stack.token(email, body["password"])  # the form's password, now
    assert stack.call("POST", "/providers/confirmation",
                      json={"token": token}).status_code == 401  # spent
    time.sleep(0.5)
    assert [m["Subject"] for m in mail_to(stack, email)] == [
        "Conferma la tua domanda a WeCare"]  # no reset link went before the confirmation


def test_applications_are_limited_per_client_address(stack: Stack, fake: Any) -> None:
    address = a_client_address()
    answers = [apply(stack, application(fake, fake.email("burst")), address)
               for _ in range(6)]
    assert [r.status_code for r in answers] == [202] * 5 + [429]
    assert answers[-1].json()["error"]["code"] == "rate_limited"
    assert int(answers[-1].headers["Retry-After"]) > 0
    assert apply(stack, application(fake, fake.email("elsewhere"))).status_code == 202


def test_an_application_never_confirmed_lapses_and_the_address_applies_again(
        stack: Stack, fake: Any, database_url: str) -> None:
    email = fake.email("lapsed")
    assert apply(stack, application(fake, email)).status_code == 202
    lapsed = emailed_token(stack, email, CONFIRM)
    with Session(make_engine("gateway", database_url)) as session:
        assert signups.forget_unconfirmed(session, older_than=timedelta(0)) >= 1
    assert stack.call("POST", "/providers/confirmation",
                      json={"token": lapsed}).status_code == 401
    body = application(fake, email)
    assert apply(stack, body).status_code == 202  # a new application, not "known"
    token = emailed_token(stack, email, CONFIRM, frozenset({lapsed}))
    r = stack.call("POST", "/providers/confirmation", json={"token": token})
    assert r.status_code == 200, r.text
