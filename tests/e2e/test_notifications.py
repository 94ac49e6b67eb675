"""Issue #6's table, row by row: the event from its real producer → the email on
a real SMTP server → the feed entry."""

from __future__ import annotations

import time
import uuid
from datetime import date, timedelta

from notifications.domain import qr_png
from sqlalchemy.orm import sessionmaker
from support.e2e import (
    WEBHOOK_SECRET,
    add_employee,
    approved_provider,
    buy,
    create_plan,
    fund_company,
    funded_employee,
)
from support.stripe_standin import payment_event, signed

PDF = b"%PDF-1.4\n%%EOF\n"


def mail_to(stack, address: str, subject_part: str) -> list:  # type: ignore[no-untyped-def]
    return stack.smtp.wait_for(lambda m: m["To"] == address and subject_part in m["Subject"])


def feed_kinds(stack, token: str, kind: str, timeout: float = 10) -> list[dict]:  # type: ignore
    deadline = time.monotonic() + timeout
    while True:
        items = [n for n in stack.call("GET", "/me/notifications", token).json()["items"]
                 if n["kind"] == kind]
        if items or time.monotonic() > deadline:
            return items
        time.sleep(0.1)


def test_vouchers_issued_redeemed_cancelled_reach_employee_and_provider(stack, admin, company,
                                                                       fake) -> None:
    provider = approved_provider(stack, admin, fake, price_cents=123_456, commission_bps=250)
    employee, token, _ = funded_employee(stack, admin, company, fake, 300_000)
    voucher = buy(stack, token, provider.offering_id).json()
    issued = mail_to(stack, employee["email"], "Il tuo voucher")[0]
    assert voucher["code"] in issued.get_body(preferencelist=("plain",)).get_content()
    assert "1.234,56\xa0€" in issued.get_body(preferencelist=("plain",)).get_content()
    # the link to the voucher's page, and the signed QR again, shown in the message
    # (issue 26.4): a printed or forwarded email works at a counter without a network
    page = f"/vouchers/{voucher['id']}"
    assert page in issued.get_body(preferencelist=("plain",)).get_content()
    html = issued.get_body(preferencelist=("html",)).get_content()
    assert f'{page}">' in html and '<img src="cid:voucher-qr@wecare"' in html
    assert issued.get_content_type() == "multipart/related"
    (png,) = [p for p in issued.walk() if p.get_content_type() == "image/png"]
    assert png["Content-ID"] == "<voucher-qr@wecare>" and png.get_content_disposition() == "inline"
    assert png.get_content() == qr_png(voucher["signed"])  # it holds the signed text

    stack.call("POST", f"/providers/{provider.id}/redemptions", provider.token,
               key=uuid.uuid4().hex, json={"code": voucher["code"]})
    mail_to(stack, employee["email"], "Voucher usato")
    provider_email = stack.call("GET", f"/providers/{provider.id}/settlements",
                                provider.token).json()  # the provider's own view
    assert provider_email["payable_cents"] == 123_456 - 123_456 * 250 // 10_000
    assert feed_kinds(stack, provider.token, "voucher_received")

    other = buy(stack, token, provider.offering_id).json()
    stack.call("POST", f"/me/vouchers/{other['id']}/cancellation", token)
    returned = mail_to(stack, employee["email"], "Credito restituito")[0]
    assert "annullato" in returned.get_body(preferencelist=("plain",)).get_content()
    assert feed_kinds(stack, token, "voucher_returned")


def test_providers_hear_of_their_agreement_and_their_payouts(stack, admin, company,
                                                            fake) -> None:
    provider = approved_provider(stack, admin, fake, price_cents=10_000, commission_bps=0)
    _, token, _ = funded_employee(stack, admin, company, fake, 10_000)
    voucher = buy(stack, token, provider.offering_id).json()
    stack.call("POST", f"/providers/{provider.id}/redemptions", provider.token,
               key=uuid.uuid4().hex, json={"code": voucher["code"]})
    stack.call("POST", "/settlements", admin, key=uuid.uuid4().hex)
    assert feed_kinds(stack, provider.token, "payout_sent")
    stack.call("POST", f"/providers/{provider.id}/approval", admin, json={"status": "suspended"})
    deadline = time.monotonic() + 10
    while len(feed_kinds(stack, provider.token, "provider_status")) < 2:
        assert time.monotonic() < deadline
        time.sleep(0.1)
    subjects = [n["subject"] for n in feed_kinds(stack, provider.token, "provider_status")]
    assert "Convenzione WeCare sospesa" in subjects
    assert "Benvenuti nel circuito WeCare" in subjects


def test_hr_hears_of_topups_and_reimbursement_requests_employees_of_decisions(
        stack, admin, company, fake) -> None:
    employee = add_employee(stack, company, fake)
    fund_company(stack, admin, company, 20_000)
    mail_to(stack, company.hr_email, "Ricarica ricevuta")

    card = stack.call("POST", f"/companies/{company.id}/topups", company.hr,
                      key=uuid.uuid4().hex, json={"amount_cents": 7_000, "method": "card"})
    intent = stack.stripe.objects[card.json()["client_secret"].split("_secret_")[0]]
    failed = payment_event("payment_intent.payment_failed", intent,
                           last_payment_error={"message": "carta rifiutata"})
    payload, signature = signed(failed, WEBHOOK_SECRET)
    stack.call("POST", "/webhooks/stripe", data=payload,
               headers_extra={"Stripe-Signature": signature})
    assert "carta rifiutata" in mail_to(stack, company.hr_email, "Ricarica non riuscita")[
        0].get_body(preferencelist=("plain",)).get_content()

    plan = create_plan(stack, company)
    stack.call("POST", f"/plans/{plan['id']}/grants", company.hr, key=uuid.uuid4().hex,
               json={"amount_cents": 20_000, "employee_ids": [employee["id"]]})
    token = stack.token(employee["email"], employee["password"])
    r = stack.call("POST", "/me/reimbursements", token, key=uuid.uuid4().hex, data={
        "amount_cents": "5000", "category": "education",
        "spent_on": (date.today() - timedelta(days=1)).isoformat(),
        "provider_tax_id": "45678900049", "beneficiary_fiscal_code": employee["fiscal_code"]},
        files={"receipt": ("r.pdf", PDF, "application/pdf")})
    assert r.status_code == 201, r.text
    mail_to(stack, company.hr_email, "Richiesta di rimborso da decidere")
    stack.call("POST", f"/reimbursements/{r.json()['id']}/decision", company.hr,
               key=uuid.uuid4().hex, json={"approved": False, "reason": "manca la data"})
    decided = mail_to(stack, employee["email"], "Rimborso respinto")[0]
    assert "manca la data" in decided.get_body(preferencelist=("plain",)).get_content()


def test_expiring_credit_is_announced_unless_the_person_turned_reminders_off(
        stack, admin, company, fake, database_url) -> None:
    from wallet import expiry
    from wallet.models import Base
    from wecare_common.db import make_engine
    from wecare_common.outbox import outbox_sessionmaker

    keen, _, _ = funded_employee(stack, admin, company, fake, 1_000,
                                 valid_until=(date.today() + timedelta(days=3)).isoformat())
    quiet = add_employee(stack, company, fake, language="en")
    quiet_token = stack.token(quiet["email"], quiet["password"])
    r = stack.call("PUT", "/me/notification-preferences", quiet_token,
                   json={"non_essential_email": False})
    assert r.status_code == 200 and r.json() == {"language": "en", "non_essential_email": False}
    plan = stack.call("GET", "/me/wallet", stack.token(keen["email"], keen["password"])).json()[
        "plans"][0]
    stack.call("POST", f"/plans/{plan['plan_id']}/grants", company.hr, key=uuid.uuid4().hex,
               json={"amount_cents": 2_500, "employee_ids": [quiet["id"]]})
    fund_company(stack, admin, company, 2_500)
    stack.call("POST", f"/plans/{plan['plan_id']}/grants", company.hr, key=uuid.uuid4().hex,
               json={"amount_cents": 2_500, "employee_ids": [quiet["id"]]})

    # the wallet's daily housekeeping, run now: it writes credits.expiring to its outbox
    engine = make_engine("wallet", database_url)
    factory: sessionmaker = outbox_sessionmaker(engine, Base.metadata)
    with factory() as session:
        expiry.announce_expiring(session, date.today())
        session.commit()
    engine.dispose()

    notice = mail_to(stack, keen["email"], "scadono tra 3 giorni")[0]
    assert "10,00\xa0€" in notice["Subject"]
    english = feed_kinds(stack, quiet_token, "credits_expiring")
    assert english and english[0]["subject"] == "€25.00 of welfare credit expire in 3 days"
    time.sleep(1)
    assert not [m for m in stack.smtp.messages() if m["To"] == quiet["email"]
                and "expire" in m["Subject"]]  # reminders off: feed only


def test_a_redelivered_event_tells_nobody_twice(stack, admin, company, fake,
                                                database_url) -> None:
    from benefits.models import outbox
    from kombu import Connection
    from sqlalchemy import select
    from wecare_common.db import make_engine
    from wecare_common.topology import events_exchange

    employee = add_employee(stack, company, fake)
    mail_to(stack, employee["email"], "Benvenuto")
    engine = make_engine("benefits", database_url)
    with engine.connect() as conn:
        envelope = next(e for e in conn.execute(select(outbox.c.envelope).where(
            outbox.c.event_type == "employee.enrolled")).scalars()
            if e["payload"]["id"] == employee["id"])
    engine.dispose()
    import nameko

    with Connection(nameko.config["AMQP_URI"]) as conn:
        conn.Producer().publish(envelope, exchange=events_exchange,
                                routing_key="employee.enrolled", serializer="json")
    time.sleep(1.5)
    welcomes = [m for m in stack.smtp.messages()
                if m["To"] == employee["email"] and "Benvenuto" in m["Subject"]]
    assert len(welcomes) == 1


def test_feed_entries_can_be_marked_read(stack, admin, company, fake) -> None:
    employee, token, _ = funded_employee(stack, admin, company, fake, 100)
    (entry,) = feed_kinds(stack, token, "credits_granted")
    assert entry["read_at"] is None
    assert stack.call("POST", f"/me/notifications/{entry['id']}/read", token).status_code == 200
    assert feed_kinds(stack, token, "credits_granted")[0]["read_at"] is not None
    other, other_token, _ = funded_employee(stack, admin, company, fake, 100)
    assert stack.call("POST", f"/me/notifications/{entry['id']}/read",
                      other_token).status_code == 404
