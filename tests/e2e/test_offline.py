"""Redeeming without a network (issue 26, docs/offline.md), through the API with the real
services: the signed QR each voucher carries, the public keys, the provider's offline
limits."""

from __future__ import annotations

import base64
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from support.e2e import approved_provider, buy, funded_employee
from wecare_common import signed_vouchers


def _payload(text: str) -> dict:
    part = text.split(".")[1]
    return json.loads(base64.urlsafe_b64decode(part + "=" * (-len(part) % 4)))


def test_a_voucher_carries_its_signed_qr_that_the_public_keys_check(
        stack, admin, company, fake) -> None:
    provider = approved_provider(stack, admin, fake, price_cents=4_500)
    employee, token, plan = funded_employee(stack, admin, company, fake, 20_000)
    bought = buy(stack, token, provider.offering_id)
    assert bought.status_code == 201, bought.text
    voucher = bought.json()
    read = stack.call("GET", f"/me/vouchers/{voucher['id']}", token).json()
    listed = stack.call("GET", "/me/vouchers", token).json()["items"]
    assert read["signed"] == voucher["signed"] == listed[0]["signed"]
    text = read["signed"]
    prefix, payload, signature = text.split(".")
    assert prefix == "WC1" and "=" not in text
    assert _payload(text) == {"v": voucher["code"], "p": provider.id, "a": 4_500,
                              "c": "education", "e": plan["valid_until"],
                              "k": _payload(text)["k"]}

    keys = stack.call("GET", "/voucher-keys")  # no sign-in
    assert keys.status_code == 200 and "max-age" in keys.headers["Cache-Control"]
    (key,) = [k for k in keys.json()["keys"] if k["kid"] == _payload(text)["k"]]
    assert set(key) == {"kid", "public_key", "not_before", "not_after"}
    public = Ed25519PublicKey.from_public_bytes(signed_vouchers.unb64url(key["public_key"]))
    public.verify(signed_vouchers.unb64url(signature), signed_vouchers.unb64url(payload))
    now = datetime.now(UTC)
    assert datetime.fromisoformat(key["not_before"]) <= now < datetime.fromisoformat(
        key["not_after"])

    # scanned online, the signed text redeems as the typed code does; once redeemed, a
    # voucher has no QR to show
    r = stack.call("POST", f"/providers/{provider.id}/redemptions", provider.token,
                   key="scan-1", json={"code": text})
    assert r.status_code == 200, r.text
    assert r.json()["status"] == "redeemed" and r.json()["signed"] is None


def test_a_forged_or_altered_qr_is_refused_online(stack, admin, company, fake) -> None:
    provider = approved_provider(stack, admin, fake, price_cents=3_000)
    _, token, _ = funded_employee(stack, admin, company, fake, 20_000)
    voucher = buy(stack, token, provider.offering_id).json()
    prefix, payload, signature = voucher["signed"].split(".")
    cheaper = {**_payload(voucher["signed"]), "a": 1}
    altered = ".".join([prefix, signed_vouchers.b64url(
        json.dumps(cheaper, separators=(",", ":")).encode()), signature])
    forger = signed_vouchers.parse_keys(signed_vouchers.new_entry(
        cheaper["k"], "2020-01-01", "2099-01-01"))[0]  # the same key id, not our key
    forged = signed_vouchers.sign(forger, code=voucher["code"], provider_id=provider.id,
                                  amount_cents=3_000, category="education",
                                  last_day=datetime.now(UTC).date())
    for n, bad in enumerate([altered, forged]):
        r = stack.call("POST", f"/providers/{provider.id}/redemptions", provider.token,
                       key=f"forged-{n}", json={"code": bad})
        assert r.status_code == 403, r.text
        assert r.json()["error"]["code"] == "voucher_signature_invalid"
    assert stack.call("GET", f"/me/vouchers/{voucher['id']}", token).json()["status"] == "issued"


def test_the_operators_set_a_providers_offline_limits_its_phone_reads_them(
        stack, admin, fake) -> None:
    provider = approved_provider(stack, admin, fake)
    me = stack.call("GET", "/me", provider.token).json()
    assert me["offline_limits"] == {"voucher_cents": 15_000, "waiting_cents": 50_000,
                                    "hours": 48}
    limits = {"voucher_cents": 5_000, "waiting_cents": 20_000, "hours": 12}
    refused = stack.call("PUT", f"/providers/{provider.id}/offline-limits", provider.token,
                         json=limits)
    assert refused.status_code == 403  # the provider reads them; the operators set them
    r = stack.call("PUT", f"/providers/{provider.id}/offline-limits", admin, json=limits)
    assert r.status_code == 200, r.text
    assert r.json() == limits
    assert stack.call("GET", "/me", provider.token).json()["offline_limits"] == limits
    assert stack.call("GET", f"/providers/{provider.id}/offline-limits",
                      provider.token).json() == limits
    r = stack.call("PUT", f"/providers/{provider.id}/offline-limits", admin,
                   json={**limits, "hours": 169})
    assert r.status_code == 400 and "hours" in r.json()["error"]["fields"]
    employee_me = stack.call("GET", "/me", admin).json()
    assert employee_me["offline_limits"] is None


# -- what the phone sends when the network returns (docs/offline.md) ----------------------
PHONE_A, PHONE_B = "phone-a-0001", "phone-b-0002"


def _send(stack, provider, *items: tuple[str, datetime, str], key: str | None = None):
    body = {"items": [{"signed": signed, "accepted_at": at.isoformat(), "device_id": device}
                      for signed, at, device in items]}
    return stack.call("POST", "/provider/redemptions/offline", provider.token,
                      key=key or uuid.uuid4().hex, json=body)


def _balanced(stack, admin) -> None:
    audit = stack.call("GET", "/ledger/audit", admin).json()
    assert audit["balanced"] and audit["sum_cents"] == 0, audit


def _in_english(stack, provider) -> str:
    """The provider chooses English for what WeCare tells it; its address. Notifications
    knows the provider once the catalog's event has reached it."""
    deadline = time.monotonic() + 30
    while True:
        r = stack.call("PUT", "/me/notification-preferences", provider.token,
                       json={"language": "en"})
        if r.status_code == 200 or time.monotonic() > deadline:
            break
        time.sleep(0.2)
    assert r.status_code == 200 and r.json()["language"] == "en", r.text
    return str(stack.call("GET", "/me", provider.token).json()["email"])


def _told_twice(stack, address: str) -> list:
    return [m for m in stack.smtp.messages()
            if m["To"] == address and "accepted twice" in m["Subject"]]


def test_accepted_offline_on_two_phones_is_paid_once_and_the_second_reported(
        stack, admin, company, fake) -> None:
    provider = approved_provider(stack, admin, fake, price_cents=6_000, commission_bps=300)
    address = _in_english(stack, provider)
    _, token, _ = funded_employee(stack, admin, company, fake, 20_000)
    voucher = buy(stack, token, provider.offering_id).json()
    at = datetime.now(UTC) - timedelta(hours=3)  # accepted in the basement three hours ago

    first = _send(stack, provider, (voucher["signed"], at, PHONE_A), key="sync-a")
    assert first.status_code == 200, first.text
    (item,) = first.json()["items"]
    assert item["outcome"] == "recorded" and item["code"] == voucher["code"]
    assert item["refusal"] is None and item["voucher"]["status"] == "redeemed"
    assert item["voucher"]["accepted_offline_at"] == at.isoformat()
    assert item["redeemed_at"] == at.isoformat()  # when it was taken at the counter
    # the same request again (a lost answer): the same answer; the same acceptance sent
    # again under another key (the phone lost its queue's key): recorded still, no report
    assert _send(stack, provider, (voucher["signed"], at, PHONE_A), key="sync-a").json() \
        == first.json()
    again = _send(stack, provider, (voucher["signed"], at, PHONE_A)).json()["items"][0]
    assert again["outcome"] == "recorded"

    # the second phone of the same provider had accepted it too: paid once, reported
    later = at + timedelta(minutes=20)
    second = _send(stack, provider, (voucher["signed"], later, PHONE_B)).json()["items"][0]
    assert second["outcome"] == "already_redeemed_by_you", second
    assert second["redeemed_at"] == at.isoformat() and second["refusal"] is None
    (duplicate,) = stack.call("GET", f"/providers/{provider.id}/offline-duplicates",
                              provider.token).json()["items"]
    assert duplicate["code"] == voucher["code"] and duplicate["device_id"] == PHONE_B
    assert duplicate["first_device_id"] == PHONE_A and duplicate["amount_cents"] == 6_000
    listed = stack.call("GET", "/providers", admin, params={"status": "approved"}).json()
    mine = [p for p in listed["items"] if p["id"] == provider.id]
    assert not mine or mine[0]["offline_duplicates"] == 1  # the operators' providers page
    # the provider is told, by email in its language (and in its feed): which voucher,
    # when each phone accepted it, paid once, what to do; the second phone sending it
    # again (a lost answer) records nothing and tells nobody again
    resent = _send(stack, provider, (voucher["signed"], later, PHONE_B)).json()["items"][0]
    assert resent["outcome"] == "already_redeemed_by_you"
    (told,) = stack.smtp.wait_for(
        lambda m: m["To"] == address and "accepted twice" in m["Subject"])
    assert told["Subject"] == f"Voucher accepted twice, paid once: {voucher['code']}"
    text = told.get_body(preferencelist=("plain",)).get_content()
    rome = ZoneInfo("Europe/Rome")
    for moment in (at, later):  # each acceptance, in Italian time
        local = moment.astimezone(rome)
        assert f"{local.day} {local:%B %Y at %H:%M}" in text, text
    assert "by one of your phones without a network" in text and "€60.00" in text
    assert "paid once only" in text and "contact WeCare's operators" in text
    assert [n["kind"] for n in stack.call("GET", "/me/notifications", provider.token).json()[
        "items"]].count("voucher_accepted_again") == 1

    # online after that: already redeemed, as any second redemption
    online = stack.call("POST", f"/providers/{provider.id}/redemptions", provider.token,
                        key=uuid.uuid4().hex, json={"code": voucher["code"]})
    assert online.json()["error"]["code"] == "voucher_already_redeemed"
    assert stack.call("GET", f"/me/vouchers/{voucher['id']}", token).json()["status"] \
        == "redeemed"  # the employee sees it redeemed
    commission = 6_000 * 300 // 10_000
    statement = stack.call("GET", f"/providers/{provider.id}/settlements",
                           provider.token).json()
    assert statement["payable_cents"] == 6_000 - commission  # once
    run = stack.call("POST", "/settlements", admin, key=f"run-{uuid.uuid4()}")
    assert run.status_code == 201, run.text
    (payout,) = [p for p in run.json()["payouts"] if p["provider_id"] == provider.id]
    assert payout["amount_cents"] == 6_000 - commission  # the settlement pays it
    _balanced(stack, admin)
    assert len(_told_twice(stack, address)) == 1  # once, however long we wait


def test_a_cancellation_waits_for_the_offline_window_and_loses_to_an_acceptance(
        stack, admin, company, fake) -> None:
    provider = approved_provider(stack, admin, fake, price_cents=5_000)
    _, token, _ = funded_employee(stack, admin, company, fake, 20_000)
    voucher = buy(stack, token, provider.offering_id).json()
    credit = stack.call("GET", "/me/wallet", token).json()["total_cents"]

    asked = datetime.now(UTC)
    r = stack.call("POST", f"/me/vouchers/{voucher['id']}/cancellation", token)
    assert r.status_code == 200, r.text
    cancelling = r.json()
    assert cancelling["status"] == "cancelling" and cancelling["signed"] is None
    takes_effect = datetime.fromisoformat(cancelling["cancel_takes_effect_at"])
    assert timedelta(hours=47, minutes=59) < takes_effect - asked < timedelta(hours=48, minutes=1)
    assert stack.call("GET", "/me/wallet", token).json()["total_cents"] == credit  # held
    again = stack.call("POST", f"/me/vouchers/{voucher['id']}/cancellation", token)
    assert again.status_code == 409
    assert again.json()["error"]["code"] == "voucher_cancellation_pending"
    assert again.json()["error"]["params"] == {
        "takes_effect_at": cancelling["cancel_takes_effect_at"]}

    # the QR the employee showed offline before cancelling arrives within the window
    item = _send(stack, provider, (voucher["signed"], asked - timedelta(hours=1),
                                   PHONE_A)).json()["items"][0]
    assert item["outcome"] == "recorded", item
    mine = stack.call("GET", f"/me/vouchers/{voucher['id']}", token).json()
    assert mine["status"] == "redeemed"
    assert mine["cancellation_refused"] == "voucher_redeemed_offline"  # said on the voucher
    assert stack.call("GET", "/me/wallet", token).json()["total_cents"] == credit
    _balanced(stack, admin)

    # a voucher no phone may accept offline (over this provider's limit) cancels at once
    stack.call("PUT", f"/providers/{provider.id}/offline-limits", admin,
               json={"voucher_cents": 4_999, "waiting_cents": 50_000, "hours": 48})
    other = buy(stack, token, provider.offering_id).json()
    r = stack.call("POST", f"/me/vouchers/{other['id']}/cancellation", token)
    assert r.json()["status"] == "cancelled", r.text
    assert stack.call("GET", "/me/wallet", token).json()["total_cents"] == credit
    late = _send(stack, provider, (other["signed"], datetime.now(UTC), PHONE_A)).json()
    assert late["items"][0]["refusal"]["code"] == "voucher_not_active"
    _balanced(stack, admin)


def test_forged_altered_expired_key_and_out_of_limits_are_refused(
        stack, admin, company, fake, monkeypatch) -> None:
    provider = approved_provider(stack, admin, fake, price_cents=2_000)
    other = approved_provider(stack, admin, fake, price_cents=2_000)
    _, token, _ = funded_employee(stack, admin, company, fake, 30_000)
    voucher = buy(stack, token, provider.offering_id).json()
    theirs = buy(stack, token, other.offering_id).json()
    now = datetime.now(UTC)
    prefix, payload, signature = voucher["signed"].split(".")
    cheaper = {**_payload(voucher["signed"]), "a": 1}
    altered = ".".join([prefix, signed_vouchers.b64url(
        json.dumps(cheaper, separators=(",", ":")).encode()), signature])
    forger = signed_vouchers.parse_keys(signed_vouchers.new_entry(
        cheaper["k"], "2020-01-01", "2099-01-01"))[0]
    forged = signed_vouchers.sign(forger, code=voucher["code"], provider_id=provider.id,
                                  amount_cents=2_000, category="education",
                                  last_day=now.date())
    answers = _send(stack, provider,
                    (altered, now, PHONE_A), (forged, now, PHONE_A), ("WC1.nope", now, PHONE_A),
                    (theirs["signed"], now, PHONE_A),
                    (voucher["signed"], now + timedelta(hours=1), PHONE_A),
                    (voucher["signed"], now - timedelta(hours=49), PHONE_A)).json()["items"]
    assert [a["outcome"] for a in answers] == ["refused"] * 6
    assert [a["refusal"]["code"] for a in answers] == [
        "voucher_signature_invalid", "voucher_signature_invalid", "voucher_signature_invalid",
        "voucher_for_another_provider", "offline_clock_ahead", "offline_too_long"]
    assert answers[5]["refusal"]["params"]["hours"] == 48
    assert [a["code"] for a in answers[:3]] == [None, None, None]

    # the operators lower this provider's limits: over them, refused
    stack.call("PUT", f"/providers/{provider.id}/offline-limits", admin,
               json={"voucher_cents": 1_500, "waiting_cents": 50_000, "hours": 48})
    (over,) = _send(stack, provider, (voucher["signed"], now, PHONE_A)).json()["items"]
    assert over["refusal"]["code"] == "offline_amount_over_limit"
    assert over["refusal"]["params"] == {"amount_cents": 2_000, "limit_cents": 1_500}
    stack.call("PUT", f"/providers/{provider.id}/offline-limits", admin,
               json={"voucher_cents": 15_000, "waiting_cents": 3_000, "hours": 48})
    second = buy(stack, token, provider.offering_id).json()
    both = _send(stack, provider, (voucher["signed"], now, PHONE_A),
                 (second["signed"], now, PHONE_A)).json()["items"]
    assert both[0]["outcome"] == "recorded"
    assert both[1]["refusal"]["code"] == "offline_waiting_over_limit"

    # a key past its validity: what it signed is refused, as the phone refuses it
    old_seed = signed_vouchers.new_entry("old", "2020-01-01", now.date().isoformat())
    current = signed_vouchers.new_entry("cur", "2020-01-01", "2099-01-01")
    monkeypatch.setenv(signed_vouchers.VARIABLE, f"{old_seed},{current}")  # the wallet's too
    old = signed_vouchers.parse_keys(old_seed)[0]
    stale = signed_vouchers.sign(old, code=second["code"], provider_id=provider.id,
                                 amount_cents=2_000, category="education",
                                 last_day=now.date() + timedelta(days=30))
    (expired,) = _send(stack, provider, (stale, now, PHONE_A)).json()["items"]
    assert expired["refusal"]["code"] == "voucher_key_expired", expired
    assert datetime.fromisoformat(expired["refusal"]["params"]["not_after"]).date() == now.date()
    keys = {k["kid"] for k in stack.call("GET", "/voucher-keys").json()["keys"]}
    assert keys == {"old", "cur"}  # the expired one still listed, so phones say EXPIRED
    fresh = stack.call("GET", f"/me/vouchers/{second['id']}", token).json()["signed"]
    assert _payload(fresh)["k"] == "cur"  # a voucher read now is signed anew
    (ok,) = _send(stack, provider, (fresh, now, PHONE_A)).json()["items"]
    assert ok["outcome"] == "recorded", ok
    _balanced(stack, admin)
