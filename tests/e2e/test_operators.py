"""The operators' API, end to end: applications waiting and the decision, bank
transfers waiting and their confirmation (once), the settlement preview, run,
runs and SEPA file, the dead-letter queue with its replay."""

from __future__ import annotations

import json
import os
import uuid

import nameko
import sepaxml
import xmlschema
from kombu import Connection, Queue
from support.e2e import apply_as_provider, buy, funded_employee
from wecare_common.events import make_envelope
from wecare_common.topology import dead_letter_exchange, declare_backbone

PAIN_001_001_03 = os.path.join(os.path.dirname(sepaxml.__file__), "schemas",
                               "pain.001.001.03.xsd")


def every(stack, path: str, token: str, **params) -> list[dict]:  # type: ignore[no-untyped-def]
    items, cursor = [], None
    while True:
        r = stack.call("GET", path, token, params={**params, "cursor": cursor})
        assert r.status_code == 200, r.text
        items += r.json()["items"]
        cursor = r.json()["next_cursor"]
        if cursor is None:
            return items


def test_an_application_waits_then_joins_the_circuit_at_0_percent(stack, admin, fake) -> None:
    provider, _ = apply_as_provider(stack, {
        "name": "Ludoteca Zero", "vat_number": fake.vat_number(), "categories": ["education"],
        "address": "Via Roma 1, Torino", "city": "Torino", "province": "TO", "lat": 45.07,
        "lon": 7.69, "email": fake.email("p"), "password": "provider-password-1",
        "iban": "IT60X0542811101000000123456"})
    applied = provider["id"]
    waiting = {p["id"]: p for p in every(stack, "/providers", admin, status="pending")}
    assert waiting[applied]["name"] == "Ludoteca Zero" and waiting[applied]["email"]

    r = stack.call("POST", f"/providers/{applied}/approval", admin,
                   json={"status": "approved", "commission_bps": 0})
    assert r.status_code == 200 and r.json()["commission_bps"] == 0
    assert applied not in {p["id"] for p in every(stack, "/providers", admin, status="pending")}
    circuit = {p["id"] for p in every(stack, "/circuit", admin, limit=200)}
    assert applied in circuit
    approved = {p["id"]: p for p in every(stack, "/providers", admin, status="approved")}
    assert approved[applied]["commission_bps"] == 0

    stack.call("POST", f"/providers/{applied}/approval", admin, json={"status": "suspended"})
    assert applied in {p["id"] for p in every(stack, "/providers", admin, status="suspended")}
    assert stack.call("GET", "/providers", admin, params={"status": "gone"}).status_code == 400


def test_a_bank_transfer_waits_with_its_company_and_is_confirmed_once(stack, admin,
                                                                      company) -> None:
    r = stack.call("POST", f"/companies/{company.id}/topups", company.hr, key=uuid.uuid4().hex,
                   json={"amount_cents": 123_456, "method": "bank_transfer"})
    topup = r.json()
    listed = {t["id"]: t for t in every(stack, "/topups", admin, status="pending")}
    assert listed[topup["id"]] == {**listed[topup["id"]], "company_id": company.id,
                                   "company_name": "Test S.r.l.", "amount_cents": 123_456,
                                   "bank_reference": topup["bank_reference"],
                                   "method": "bank_transfer", "status": "pending"}
    assert stack.call("POST", f"/topups/{topup['id']}/confirmation", admin).status_code == 200
    again = stack.call("POST", f"/topups/{topup['id']}/confirmation", admin)
    assert again.status_code == 409  # the second confirmation credits nothing
    fund = stack.call("GET", f"/companies/{company.id}", admin).json()["fund_balance_cents"]
    assert fund == 123_456
    assert topup["id"] not in {t["id"] for t in every(stack, "/topups", admin)}


def test_preview_run_and_the_sepa_file(stack, admin, company, fake) -> None:
    from support.e2e import approved_provider

    provider = approved_provider(stack, admin, fake, price_cents=12_345, commission_bps=300)
    _, token, _ = funded_employee(stack, admin, company, fake, 20_000)
    voucher = buy(stack, token, provider.offering_id).json()
    r = stack.call("POST", f"/providers/{provider.id}/redemptions", provider.token,
                   key=uuid.uuid4().hex, json={"code": voucher["code"]})
    assert r.status_code == 200, r.text

    preview = stack.call("GET", "/settlements/preview", admin).json()
    line = next(i for i in preview["items"] if i["provider_id"] == provider.id)
    commission = 12_345 * 300 // 10_000
    assert line == {"provider_id": provider.id, "provider_name": "Asilo Test", "vouchers": 1,
                    "gross_cents": 12_345, "commission_cents": commission,
                    "net_cents": 12_345 - commission, "method": "sepa", "payable": True}

    key = uuid.uuid4().hex
    run = stack.call("POST", "/settlements", admin, key=key).json()
    assert stack.call("POST", "/settlements", admin, key=key).json()["id"] == run["id"]
    runs = stack.call("GET", "/settlements", admin, params={"limit": 5}).json()["items"]
    assert runs[0]["id"] == run["id"] and runs[0]["has_sepa"] is True
    detail = stack.call("GET", f"/settlements/{run['id']}", admin).json()
    payout = next(p for p in detail["payouts"] if p["provider_id"] == provider.id)
    assert payout["provider_name"] == "Asilo Test"
    assert payout["amount_cents"] == line["net_cents"]
    assert payout["commission_cents"] == commission

    sepa = stack.call("GET", f"/settlements/{run['id']}/sepa.xml", admin)
    assert sepa.status_code == 200 and sepa.headers["Content-Type"].startswith(
        "application/xml")
    assert "attachment" in sepa.headers["Content-Disposition"]
    xmlschema.XMLSchema(PAIN_001_001_03).validate(sepa.text)
    assert payout["reference"] in sepa.text
    assert stack.call("GET", f"/settlements/{uuid.uuid4()}", admin).status_code == 404
    after = stack.call("GET", "/settlements/preview", admin).json()
    assert provider.id not in {i["provider_id"] for i in after["items"]}


def test_a_parked_event_is_listed_with_its_reason_and_replayed_once(stack, admin) -> None:
    amqp = nameko.config["AMQP_URI"]
    queue = f"probe.{uuid.uuid4().hex[:8]}"  # no consumer: the replay stays to be read
    event = make_envelope("thing.happened", {"n": 1}, producer="probe", company_id=None)
    with Connection(amqp, transport_options={"confirm_publish": True}) as conn:
        declare_backbone(conn.channel())
        Queue(queue, durable=True).bind(conn.channel()).declare()
        conn.Producer().publish(
            json.dumps(event), exchange=dead_letter_exchange, routing_key=queue,
            content_type="application/json", content_encoding="utf-8", message_id=event["id"],
            delivery_mode=2, headers={"x-wecare-queue": queue, "x-wecare-attempts": 5,
                                      "x-wecare-error": "RuntimeError: the probe failed"})

    items = stack.call("GET", "/dead-letters", admin).json()["items"]
    parked = next(m for m in items if m["queue"] == queue)
    assert parked["error"] == "RuntimeError: the probe failed" and parked["attempts"] == 5
    assert parked["event_type"] == "thing.happened" and parked["event_id"] == event["id"]
    r = stack.call("POST", f"/dead-letters/{parked['id']}/replay", admin)
    assert r.status_code == 200 and r.json() == {"id": parked["id"], "replayed": True}
    again = stack.call("POST", f"/dead-letters/{parked['id']}/replay", admin)
    assert again.status_code == 404  # replayed already
    assert queue not in {m["queue"] for m in stack.call("GET", "/dead-letters",
                                                          admin).json()["items"]}
    with Connection(amqp) as conn:
        back = conn.SimpleQueue(Queue(queue, durable=True), no_ack=True).get(timeout=5)
        assert json.loads(back.body)["id"] == event["id"]


def test_a_suspended_provider_redeems_nothing_and_is_paid_what_it_redeemed(
        stack, admin, company, fake) -> None:
    """Issue 23.3: from its suspension on a provider redeems nothing, each try refused
    with the reason and counted on the operators' list; what it redeemed before is
    paid by the next run; the ledger balances."""
    from support.e2e import approved_provider

    provider = approved_provider(stack, admin, fake, price_cents=2_000, commission_bps=500)
    _, token, _ = funded_employee(stack, admin, company, fake, 6_000)
    before, after = (buy(stack, token, provider.offering_id).json() for _ in range(2))
    redeem = lambda code: stack.call(  # noqa: E731
        "POST", f"/providers/{provider.id}/redemptions", provider.token, key=uuid.uuid4().hex,
        json={"code": code})
    assert redeem(before["code"]).status_code == 200

    r = stack.call("POST", f"/providers/{provider.id}/approval", admin,
                   json={"status": "suspended"})
    assert r.status_code == 200 and r.json()["status"] == "suspended"
    refused = redeem(after["code"])  # at once: the wallet asks the catalog, not its copy
    assert refused.status_code == 403, refused.text
    assert refused.json()["error"]["code"] == "provider_not_in_circuit"
    assert refused.json()["error"]["params"] == {"provider_status": "suspended"}
    assert stack.call("GET", f"/me/vouchers/{after['id']}", token).json()["status"] == "issued"

    listed = {p["id"]: p for p in every(stack, "/providers", admin, status="suspended")}
    assert listed[provider.id]["refused_redemptions"] == 1
    assert listed[provider.id]["last_refused_at"]
    assert listed[provider.id]["owed_cents"] == 2_000 - 100
    run = stack.call("POST", "/settlements", admin, key=uuid.uuid4().hex)
    assert run.status_code == 201, run.text
    paid = [p for p in run.json()["payouts"] if p["provider_id"] == provider.id]
    assert [p["amount_cents"] for p in paid] == [1_900]
    statement = stack.call("GET", f"/providers/{provider.id}/settlements", provider.token)
    assert statement.status_code == 200  # a suspended provider still sees what it is paid
    assert stack.call("GET", "/ledger/audit", admin).json()["balanced"]
