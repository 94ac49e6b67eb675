"""Sign-ups through the API leave no orphan: a refused one (the service says no)
leaves no account behind and sends no email; a retry with the same Idempotency-Key
gets the same answer, one record."""

from __future__ import annotations

import time
import uuid

from support.e2e import a_client_address, add_employee, apply_as_provider, emailed_token


def _provider_body(fake, email: str, vat: str) -> dict:
    return {"name": "Palestra Test", "vat_number": vat, "categories": ["wellbeing"],
            "address": "Via Po 1, Torino", "lat": 45.07, "lon": 7.69, "email": email,
            "password": "provider-password-1", "iban": "IT60X0542811101000000123456"}


def test_a_retried_application_is_the_same_application(stack, admin, fake) -> None:
    key, body = uuid.uuid4().hex, _provider_body(fake, fake.email("p"), fake.vat_number())
    address = {"X-Forwarded-For": a_client_address()}
    first = stack.call("POST", "/providers", key=key, json=body, headers_extra=address)
    again = stack.call("POST", "/providers", key=key, json=body, headers_extra=address)
    assert first.status_code == again.status_code == 202, again.text
    other = stack.call("POST", "/providers", key=key, json={**body, "name": "Altro nome"},
                       headers_extra=address)
    assert other.status_code in (409, 422)
    token = emailed_token(stack, body["email"], "/providers/apply/confirm")
    time.sleep(1)  # one application, one email
    assert len([m for m in stack.smtp.messages() if m["To"] == body["email"]]) == 1
    r = stack.call("POST", "/providers/confirmation", json={"token": token})
    assert r.status_code == 200, r.text
    assert stack.token(body["email"], body["password"])  # the account works, once linked


def test_a_refused_sign_up_leaves_no_account_and_sends_no_email(stack, admin, company,
                                                                fake) -> None:
    taken = add_employee(stack, company, fake)
    email = fake.email("refused")
    r = stack.call("POST", f"/companies/{company.id}/employees", company.hr, json={
        "email": email, "first_name": "Lia", "last_name": "Neri",
        "fiscal_code": taken["fiscal_code"]})  # no password: she would be invited
    assert r.status_code == 409, r.text
    vat = fake.vat_number()
    r = stack.call("POST", "/providers/enrolment", admin,
                   json=_provider_body(fake, fake.email("p"), vat))
    assert r.status_code == 201, r.text
    refused_provider = fake.email("p")
    r = stack.call("POST", "/providers/enrolment", admin,
                   json=_provider_body(fake, refused_provider, vat))
    assert r.status_code == 409, r.text
    # an application is refused at its confirmation, when the catalog is asked
    r = stack.call("POST", "/providers", json=_provider_body(fake, refused_provider, vat))
    assert r.status_code == 202, r.text
    token = emailed_token(stack, refused_provider, "/providers/apply/confirm")
    r = stack.call("POST", "/providers/confirmation", json={"token": token})
    assert r.status_code == 409 and r.json()["error"]["code"] == "provider_already_applied"
    # nothing holds the emails: both sign up now
    assert add_employee(stack, company, fake, email=email)["email"] == email
    provider, _ = apply_as_provider(stack, _provider_body(fake, refused_provider,
                                                          fake.vat_number()),
                                    earlier=frozenset({token}))
    assert provider["status"] == "pending"
    time.sleep(1)  # and the refusal sent nothing: only the later sign-up's mail, if any
    invited = [m for m in stack.smtp.messages() if email in str(m["To"])
               and "invit" in str(m["Subject"]).lower()]
    assert invited == []
