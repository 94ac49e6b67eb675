"""Signed vouchers (docs/offline.md): what a provider's phone checks with no network.

A voucher's QR holds `WC1.<payload>.<signature>`, each part base64url without padding:
the payload is compact JSON with short keys

    {"v": code, "p": provider id, "a": amount in cents, "c": category,
     "e": last valid day (YYYY-MM-DD), "k": key id}

and the signature is Ed25519 over the payload's bytes as they stand in the QR (decoded
from base64url), by the key named in "k". The wallet alone holds the private keys
(WECARE_VOUCHER_KEYS, a secret like the others); anyone may read the public ones with
their validity at GET /api/v1/voucher-keys.

WECARE_VOUCHER_KEYS holds one key or more, separated by spaces, commas or new lines,
each `kid:private:not_before:not_after` (private: the raw 32-byte Ed25519 seed in
base64url; dates YYYY-MM-DD, UTC, not_after exclusive). The key that signs is, of those
valid now, the one that began last; a key's signature is believed until its not_after.
`python -m wecare_common.signed_vouchers new KID NOT_BEFORE NOT_AFTER` writes a new
entry (docs/operations.md#voucher-signing-keys)."""

from __future__ import annotations

import base64
import hashlib
import json
import re
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from functools import cache
from typing import Any

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import (
    Ed25519PrivateKey,
    Ed25519PublicKey,
)
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

from wecare_common import config

VARIABLE = "WECARE_VOUCHER_KEYS"
PREFIX = "WC1"
# the payload's keys, in the order they are written
FIELDS = ("v", "p", "a", "c", "e", "k")
_KID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
# in development mode with no keys set: one key derived from the internal token, so the
# processes of one `make run` or test harness (which share it) agree on it
DEV_KID = "dev"


class KeysNotUsable(config.MissingSetting):
    """WECARE_VOUCHER_KEYS is missing (outside development mode) or cannot be read."""


class BadSignature(ValueError):
    """Not a signed voucher of ours: not the format, an unknown key, or a signature
    that does not match (a forged or altered QR)."""


class KeyExpired(ValueError):
    """Signed by a key past its validity (or not yet valid) at the moment asked."""

    def __init__(self, kid: str, not_after: datetime) -> None:
        super().__init__(f"key {kid} is valid until {not_after.isoformat()}")
        self.kid = kid
        self.not_after = not_after


def b64url(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def unb64url(text: str) -> bytes:
    if not re.fullmatch(r"[A-Za-z0-9_-]*", text):
        raise BadSignature("not base64url")
    try:
        return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    except ValueError as exc:
        raise BadSignature("not base64url") from exc


def _midnight(day: date) -> datetime:
    return datetime(day.year, day.month, day.day, tzinfo=UTC)


@dataclass(frozen=True)
class SigningKey:
    kid: str
    private: Ed25519PrivateKey | None  # None: a public key only (a verifier's copy)
    public: Ed25519PublicKey
    not_before: datetime
    not_after: datetime

    def valid_at(self, moment: datetime) -> bool:
        return self.not_before <= moment < self.not_after

    def public_view(self) -> dict[str, str]:
        raw = self.public.public_bytes(Encoding.Raw, PublicFormat.Raw)
        return {"kid": self.kid, "public_key": b64url(raw),
                "not_before": self.not_before.isoformat(),
                "not_after": self.not_after.isoformat()}


def make_key(kid: str, seed: bytes, not_before: date, not_after: date) -> SigningKey:
    private = Ed25519PrivateKey.from_private_bytes(seed)
    return SigningKey(kid, private, private.public_key(), _midnight(not_before),
                      _midnight(not_after))


def parse_keys(text: str) -> list[SigningKey]:
    keys: list[SigningKey] = []
    for entry in re.split(r"[\s,]+", text.strip()):
        parts = entry.split(":")
        if len(parts) != 4:
            raise KeysNotUsable(f"{VARIABLE}: an entry is not kid:private:not_before:not_after")
        kid, private, start, end = parts
        if not _KID.match(kid):
            raise KeysNotUsable(f"{VARIABLE}: a key id is 1-16 letters, digits, - or _")
        try:
            seed = unb64url(private)
            key = make_key(kid, seed, date.fromisoformat(start), date.fromisoformat(end))
        except (BadSignature, ValueError) as exc:
            raise KeysNotUsable(f"{VARIABLE}: key {kid} cannot be read ({exc})") from None
        if key.not_after <= key.not_before:
            raise KeysNotUsable(f"{VARIABLE}: key {kid} ends before it begins")
        if kid in {k.kid for k in keys}:
            raise KeysNotUsable(f"{VARIABLE}: key id {kid} twice")
        keys.append(key)
    return keys


def dev_keys() -> list[SigningKey]:
    seed = hashlib.sha256(f"wecare-dev-voucher-key|{config.internal_token()}".encode()).digest()
    return [make_key(DEV_KID, seed, date(2000, 1, 1), date(2100, 1, 1))]


@cache
def _configured(text: str | None, dev: bool) -> tuple[SigningKey, ...]:
    if text is None:
        if not dev:
            raise KeysNotUsable(f"{VARIABLE} is not set: set it (from the cluster's Secret), "
                                f"or set {config.DEV_MODE}=1 on a development machine")
        return tuple(dev_keys())
    return tuple(parse_keys(text))


def configured_keys() -> list[SigningKey]:
    """The key set from the environment (read once per value); fails closed."""
    return list(_configured(config.env(VARIABLE), config.dev_mode()))


def signing_key(keys: list[SigningKey], now: datetime) -> SigningKey:
    """Of the keys valid now that can sign, the one that began last."""
    usable = [k for k in keys if k.private is not None and k.valid_at(now)]
    if not usable:
        raise KeysNotUsable(f"{VARIABLE}: no key is valid at {now.isoformat()}: add one")
    return max(usable, key=lambda k: (k.not_before, k.kid))


def payload_of(*, code: str, provider_id: str, amount_cents: int, category: str,
               last_day: date, kid: str) -> bytes:
    values = (code, provider_id, amount_cents, category, last_day.isoformat(), kid)
    return json.dumps(dict(zip(FIELDS, values, strict=True)), separators=(",", ":"),
                      ensure_ascii=False).encode()


def sign(key: SigningKey, *, code: str, provider_id: str, amount_cents: int, category: str,
         last_day: date) -> str:
    """The QR text of a voucher, signed by `key`."""
    if key.private is None:
        raise KeysNotUsable(f"key {key.kid} has no private part")
    payload = payload_of(code=code, provider_id=provider_id, amount_cents=amount_cents,
                         category=category, last_day=last_day, kid=key.kid)
    return f"{PREFIX}.{b64url(payload)}.{b64url(key.private.sign(payload))}"


def looks_signed(text: str) -> bool:
    return text.strip().startswith(PREFIX + ".")


def verify(text: str, keys: list[SigningKey], at: datetime | None = None) -> dict[str, Any]:
    """The payload of a signed voucher's QR text, checked: BadSignature when it is not
    ours or was altered, KeyExpired when its key was not valid `at` (when given)."""
    parts = text.strip().split(".")
    if len(parts) != 3 or parts[0] != PREFIX:
        raise BadSignature("not WC1.<payload>.<signature>")
    payload, signature = unb64url(parts[1]), unb64url(parts[2])
    try:
        data = json.loads(payload)
    except ValueError as exc:
        raise BadSignature("the payload is not JSON") from exc
    if not isinstance(data, dict) or set(data) != set(FIELDS):
        raise BadSignature("the payload's fields are not v, p, a, c, e, k")
    if not (all(isinstance(data[f], str) for f in "vpcek") and type(data["a"]) is int):
        raise BadSignature("the payload's fields are not of their types")
    key = next((k for k in keys if k.kid == data["k"]), None)
    if key is None:
        raise BadSignature(f"no key {data['k']!r}")
    try:
        key.public.verify(signature, payload)
    except InvalidSignature as exc:
        raise BadSignature("the signature does not match") from exc
    try:
        data["e"] = date.fromisoformat(data["e"]).isoformat()
    except ValueError as exc:
        raise BadSignature("the expiry is not a date") from exc
    if at is not None and not key.valid_at(at):
        raise KeyExpired(key.kid, key.not_after)
    return dict(data)


def new_entry(kid: str, not_before: str, not_after: str) -> str:
    """A new key's entry for WECARE_VOUCHER_KEYS (random seed)."""
    seed = Ed25519PrivateKey.generate().private_bytes_raw()
    entry = f"{kid}:{b64url(seed)}:{not_before}:{not_after}"
    parse_keys(entry)  # checked as the service will read it
    return entry


if __name__ == "__main__":  # pragma: no cover - an operator's tool
    if len(sys.argv) != 5 or sys.argv[1] != "new":
        sys.exit("usage: python -m wecare_common.signed_vouchers new KID NOT_BEFORE NOT_AFTER")
    print(new_entry(*sys.argv[2:]))
