"""Redeeming without a network (issue 26, docs/offline.md), through the API with the real
services: the signed QR each voucher carries, the public keys, the provider's offline
limits."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime

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
