"""Signed vouchers (docs/offline.md): the QR text's format, its keys, what a forged or
altered one and an expired key come to."""

from __future__ import annotations

import base64
import json
from datetime import UTC, date, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from wecare_common import config
from wecare_common import signed_vouchers as sv

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=UTC)
VOUCHER = dict(code="7ZQW-FRJX-W0H4-M6XQ-W", provider_id="0b8f8a2e-4a57-4a9e-9a57-1c6a1c0f4b11",
               amount_cents=12500, category="education", last_day=date(2026, 12, 31))


def keys(*entries: tuple[str, str, str]) -> list[sv.SigningKey]:
    return sv.parse_keys(",".join(sv.new_entry(*e) for e in entries))


def test_the_qr_text_is_wc1_payload_signature_in_base64url_without_padding() -> None:
    ring = keys(("k1", "2026-01-01", "2028-01-01"))
    text = sv.sign(sv.signing_key(ring, NOW), **VOUCHER)
    prefix, payload, signature = text.split(".")
    assert prefix == "WC1" and "=" not in text
    raw = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4))
    assert json.loads(raw) == {"v": VOUCHER["code"], "p": VOUCHER["provider_id"],
                               "a": 12500, "c": "education", "e": "2026-12-31", "k": "k1"}
    assert b" " not in raw  # compact
    # anyone checks it with the public key as GET /api/v1/voucher-keys gives it
    public = ring[0].public_view()
    assert set(public) == {"kid", "public_key", "not_before", "not_after"}
    key = Ed25519PublicKey.from_public_bytes(sv.unb64url(public["public_key"]))
    key.verify(sv.unb64url(signature), raw)  # raises when it does not match
    assert sv.verify(text, ring, NOW)["v"] == VOUCHER["code"]
    assert len(text) < 300  # a QR of version 12 or less at error correction M


def test_an_altered_or_forged_qr_is_refused() -> None:
    ring = keys(("k1", "2026-01-01", "2028-01-01"))
    text = sv.sign(ring[0], **VOUCHER)
    prefix, payload, signature = text.split(".")
    dearer = json.loads(sv.unb64url(payload)) | {"a": 99_999}
    altered = f"{prefix}.{sv.b64url(json.dumps(dearer, separators=(',', ':')).encode())}" \
              f".{signature}"
    forged = sv.sign(keys(("k1", "2026-01-01", "2028-01-01"))[0], **VOUCHER)  # another k1
    for bad in (altered, forged, text[:-2], "WC1.abc", "WC2." + text[4:], "hello", ""):
        with pytest.raises(sv.BadSignature):
            sv.verify(bad, ring, NOW)


def test_keys_rotate_the_newest_valid_signs_an_expired_one_is_refused() -> None:
    ring = keys(("old", "2025-01-01", "2027-02-01"), ("new", "2026-12-01", "2028-03-01"),
                ("next", "2027-01-01", "2028-06-01"))
    assert sv.signing_key(ring, NOW).kid == "new"
    old = sv.sign(ring[0], **VOUCHER)
    assert sv.verify(old, ring, NOW)["k"] == "old"  # still believed
    with pytest.raises(sv.KeyExpired) as expired:
        sv.verify(old, ring, datetime(2027, 2, 1, tzinfo=UTC))
    assert expired.value.not_after == datetime(2027, 2, 1, tzinfo=UTC)
    assert sv.verify(old, ring)["k"] == "old"  # no moment asked: the signature alone
    with pytest.raises(sv.KeysNotUsable, match="no key is valid"):
        sv.signing_key(ring, datetime(2029, 1, 1, tzinfo=UTC))


@pytest.mark.parametrize("text", [
    "k1:short:2026-01-01:2027-01-01", "k1:AAAA", "bad id!:x:2026-01-01:2027-01-01",
])
def test_a_key_set_that_cannot_be_read_stops_the_wallet(text: str) -> None:
    with pytest.raises(sv.KeysNotUsable):
        sv.parse_keys(text)


def test_missing_keys_fail_closed_outside_development_mode(monkeypatch) -> None:
    monkeypatch.delenv(sv.VARIABLE, raising=False)
    monkeypatch.delenv(config.DEV_MODE, raising=False)
    with pytest.raises(sv.KeysNotUsable, match="WECARE_VOUCHER_KEYS is not set"):
        sv.configured_keys()
    assert ("WECARE_VOUCHER_KEYS" in dict(config.requirements("wallet")))
    monkeypatch.setenv(config.DEV_MODE, "1")
    monkeypatch.setenv("WECARE_INTERNAL_TOKEN", "t" * 40)
    dev = sv.configured_keys()
    assert [k.kid for k in dev] == [sv.DEV_KID]
    assert sv.configured_keys()[0].public_view() == dev[0].public_view()  # one per token
    monkeypatch.setenv(sv.VARIABLE, sv.new_entry("k1", "2026-01-01", "2028-01-01"))
    assert [k.kid for k in sv.configured_keys()] == ["k1"]
