"""A provider's public application cannot be used to find accounts, to write to
addresses at will, nor to claim an address one cannot read (issue 23.5): it answers the
same whether or not the email is known (what happened goes to the address), a client
address makes a few an hour, and nothing is kept, asked of the catalog or signed in to
until the link emailed to the address is followed. Every email of it is in the
applicant's language."""

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


def apply(stack: Stack, body: dict[str, Any], address: str | None = None,
          accept_language: str | None = None) -> Any:
    headers = {"X-Forwarded-For": address or a_client_address()}
    if accept_language is not None:
        headers["Accept-Language"] = accept_language
    return stack.call("POST", "/providers", json=body, headers_extra=headers)


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


def subjects_to(stack: Stack, email: str, count: int) -> set[str]:
    """The subjects of the emails to `email`, once there are `count` of them."""
    deadline = time.monotonic() + 60  # as stack.smtp.wait_for: a loaded machine is slow
    while len(found := mail_to(stack, email)) < count:
        assert time.monotonic() < deadline, [m["Subject"] for m in found]
        time.sleep(0.1)
    return {str(m["Subject"]) for m in found}


def test_an_application_s_emails_are_in_the_applicant_s_language(
        stack: Stack, admin: str, company: Company, fake: Any) -> None:
    # the field given (as the page sends it); else the request's Accept-Language; else
    # Italian; the field wins over the header
    english, italian = fake.email("english"), fake.email("italiano")
    by_header, by_default = fake.email("header"), fake.email("default")
    for email, language, header in ((english, "en", "it-IT,it"), (italian, "it", "en"),
                                    (by_header, None, "de-DE,en-GB;q=0.8,it;q=0.5"),
                                    (by_default, None, None)):
        body = application(fake, email) | ({"language": language} if language else {})
        r = apply(stack, body, accept_language=header)
        assert (r.status_code, r.json()) == (202, {"accepted": True}), r.text
    assert subjects_to(stack, english, 1) == {"Confirm your application to WeCare"}
    assert subjects_to(stack, by_header, 1) == {"Confirm your application to WeCare"}
    assert subjects_to(stack, italian, 1) == {"Conferma la tua domanda a WeCare"}
    assert subjects_to(stack, by_default, 1) == {"Conferma la tua domanda a WeCare"}
    (confirm,) = mail_to(stack, english)
    assert "Confirm the address" in confirm.get_body(preferencelist=("plain",)).get_content()

    # the provider keeps it: the operators' approval reaches it in English too
    r = stack.call("POST", "/providers/confirmation",
                   json={"token": emailed_token(stack, english, CONFIRM)})
    assert r.status_code == 200, r.text
    provider = stack.call("GET", "/me", r.json()["access_token"]).json()["provider"]
    assert provider["language"] == "en"
    r = stack.call("POST", f"/providers/{provider['id']}/approval", admin,
                   json={"status": "approved", "commission_bps": 300})
    assert r.status_code == 200, r.text
    assert subjects_to(stack, english, 2) == {"Confirm your application to WeCare",
                                              "Welcome to the WeCare circuit"}

    # an address already known is told so in the applicant's language, and the answer
    # is the same 202 as for anyone
    known = apply(stack, application(fake, company.hr_email) | {"language": "en"})
    assert (known.status_code, known.json()) == (202, {"accepted": True})
    stack.smtp.wait_for(lambda m: m["To"] == company.hr_email
                        and m["Subject"] == "Your WeCare application")


def test_a_language_we_do_not_write_in_is_refused_naming_the_field(
        stack: Stack, fake: Any) -> None:
    email = fake.email("deutsch")
    for wrong in ("de", "EN", "", 7):
        r = apply(stack, application(fake, email) | {"language": wrong})
        assert r.status_code == 400, r.text
        error = r.json()["error"]
        assert set(error["fields"]) == {"language"}, error
        expected = "not_a_string" if wrong == 7 else "not_a_language"
        assert [p["code"] for p in error["problems"]["language"]] == [expected]
    time.sleep(0.5)
    assert mail_to(stack, email) == []  # nothing kept, nothing sent
