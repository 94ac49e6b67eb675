"""Sign-ups through the API leave no orphan: a refused one (the service says no)
leaves no account behind and sends no email; a retry with the same Idempotency-Key
gets the same answer, one record."""

from __future__ import annotations

import time
import uuid

from support.e2e import add_employee


def _provider_body(fake, email: str, vat: str) -> dict:
    return {"name": "Palestra Test", "vat_number": vat, "categories": ["wellbeing"],
            "address": "Via Po 1, Torino", "lat": 45.07, "lon": 7.69, "email": email,
            "password": "provider-password-1", "iban": "IT60X0542811101000000123456"}


def test_a_retried_application_is_the_same_application(stack, admin, fake) -> None:
    key, body = uuid.uuid4().hex, _provider_body(fake, fake.email("p"), fake.vat_number())
    first = stack.call("POST", "/providers", key=key, json=body)
    again = stack.call("POST", "/providers", key=key, json=body)
    assert first.status_code == again.status_code == 201, again.text
    assert first.json()["id"] == again.json()["id"]
    other = stack.call("POST", "/providers", key=key, json={**body, "name": "Altro nome"})
    assert other.status_code in (409, 422)
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
    assert stack.call("POST", "/providers", json=_provider_body(fake, fake.email("p"), vat)
                      ).status_code == 201
    refused_provider = fake.email("p")
    r = stack.call("POST", "/providers", json=_provider_body(fake, refused_provider, vat))
    assert r.status_code == 409, r.text
    # nothing holds the emails: both sign up now
    assert add_employee(stack, company, fake, email=email)["email"] == email
    assert stack.call("POST", "/providers", json=_provider_body(
        fake, refused_provider, fake.vat_number())).status_code == 201
    time.sleep(1)  # and the refusal sent nothing: only the later sign-up's mail, if any
    invited = [m for m in stack.smtp.messages() if email in str(m["To"])
               and "invit" in str(m["Subject"]).lower()]
    assert invited == []
