"""Redeeming without a network (docs/offline.md): each provider's offline limits, set by
the operators and read by the provider's phone; what the phone accepted, sent when the
network returns; the duplicates reported."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from wecare_common import signed_vouchers
from wecare_common.contract import events, refusals
from wecare_common.db import aware
from wecare_common.errors import DomainError
from wecare_common.outbox import record_event

from wallet import vouchers
from wallet.codes import normalize
from wallet.models import OfflineLimits, OfflineRedemption, Voucher

# docs/offline.md#the-providers-offline-limits: the defaults, and the bounds operators
# may set them within
DEFAULTS = {"voucher_cents": 15_000, "waiting_cents": 50_000,
            "hours": vouchers.OFFLINE_DEFAULT_HOURS}
BOUNDS = {"voucher_cents": 100_000, "waiting_cents": 1_000_000, "hours": 168}


def limits(session: Session, provider_id: str) -> dict[str, int]:
    row = session.get(OfflineLimits, provider_id)
    if row is None:
        return dict(DEFAULTS)
    return {"voucher_cents": row.voucher_cents, "waiting_cents": row.waiting_cents,
            "hours": row.hours}


def set_limits(session: Session, provider_id: str, *, voucher_cents: int, waiting_cents: int,
               hours: int, now: datetime | None = None) -> dict[str, int]:
    row = session.get(OfflineLimits, provider_id, with_for_update=True)
    values: dict[str, Any] = {"voucher_cents": voucher_cents, "waiting_cents": waiting_cents,
                              "hours": hours, "set_at": now or datetime.now(UTC)}
    if row is None:
        session.add(OfflineLimits(provider_id=provider_id, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.flush()
    return limits(session, provider_id)


# a phone's clock may run a little ahead of the wallet's and still be believed
CLOCK_SKEW = timedelta(minutes=5)


@dataclass(frozen=True)
class Acceptance:
    """One redemption a provider's phone accepted without a network, as it sends it."""

    signed: str
    accepted_at: datetime
    device_id: str


def window(session: Session, voucher: Voucher) -> int:
    """The hours a phone of the voucher's provider may hold it accepted offline before
    sending it; 0 when the voucher could not be accepted offline (over the per-voucher
    limit, or none allowed): a cancellation waits that long (vouchers.cancel)."""
    allowed = limits(session, voucher.provider_id)
    return allowed["hours"] if voucher.amount_cents <= allowed["voucher_cents"] else 0


def redeem_offline(session: Session, *, provider_id: str, items: list[Acceptance],
                   now: datetime | None = None) -> dict[str, Any]:
    """What the provider's phone accepted without a network, sent now (docs/offline.md):
    per item `recorded` (redeemed, paid once), `already_redeemed_by_you` (this provider
    had redeemed it: paid once, the duplicate recorded and reported) or `refused` with a
    declared refusal. The caller commits."""
    now = now or datetime.now(UTC)
    allowed = limits(session, provider_id)
    keys = signed_vouchers.configured_keys()
    answers: list[dict[str, Any]] = []
    waiting = 0  # the amounts recorded from this request: its items waited together
    for item in items:
        answer: dict[str, Any] = {"code": None, "outcome": "refused", "voucher": None,
                                  "refusal": None, "redeemed_at": None}
        try:
            amount = _one(session, provider_id, item, keys, allowed, now, waiting, answer)
            waiting += amount
        except DomainError as refusal:
            answer["refusal"] = {"code": refusal.code, "message": str(refusal),
                                 "params": refusal.params}
        answers.append(answer)
    return {"items": answers}


def _one(session: Session, provider_id: str, item: Acceptance,
         keys: list[signed_vouchers.SigningKey], allowed: dict[str, int], now: datetime,
         waiting: int, answer: dict[str, Any]) -> int:
    """One acceptance: fills `answer`, raises a refusal; the amount it recorded."""
    accepted_at = aware(item.accepted_at).astimezone(UTC)
    try:
        payload = signed_vouchers.verify(item.signed, keys, at=accepted_at)
    except signed_vouchers.BadSignature:
        raise refusals.VOUCHER_SIGNATURE_INVALID(field="signed") from None
    except signed_vouchers.KeyExpired as expired:
        raise refusals.VOUCHER_KEY_EXPIRED(not_after=expired.not_after,
                                           field="signed") from None
    code = normalize(payload["v"])
    answer["code"] = code
    if payload["p"] != provider_id:
        raise refusals.VOUCHER_FOR_ANOTHER_PROVIDER(field="signed")
    voucher = session.scalar(select(Voucher).where(Voucher.code == code).with_for_update())
    if voucher is None or voucher.provider_id != provider_id:
        raise refusals.VOUCHER_UNKNOWN(field="signed")
    # the same phone sending the same acceptance again: the same answer
    before = session.scalar(select(OfflineRedemption).where(
        OfflineRedemption.voucher_id == voucher.id, OfflineRedemption.device_id == item.device_id,
        OfflineRedemption.accepted_at == accepted_at))
    if before is not None:
        return _again(before, voucher, answer)
    if accepted_at > now + CLOCK_SKEW:
        raise refusals.OFFLINE_CLOCK_AHEAD(accepted_at=accepted_at, field="accepted_at")
    if now - accepted_at > timedelta(hours=allowed["hours"]):
        raise refusals.OFFLINE_TOO_LONG(accepted_at=accepted_at, hours=allowed["hours"],
                                        field="accepted_at")
    if accepted_at >= aware(voucher.expires_at):
        raise refusals.OFFLINE_AFTER_EXPIRY(accepted_at=accepted_at,
                                            last_day=vouchers.last_day(voucher.expires_at),
                                            field="accepted_at")
    if voucher.status == "redeemed":  # paid once; the second recorded and reported
        session.add(OfflineRedemption(
            voucher_id=voucher.id, provider_id=provider_id, device_id=item.device_id,
            accepted_at=accepted_at, received_at=now, outcome="duplicate",
            first_redeemed_at=voucher.redeemed_at, first_device_id=voucher.offline_device_id))
        session.flush()
        _report_duplicate(session, voucher, accepted_at, now)
        return _again(None, voucher, answer)
    if voucher.status not in ("issued", "cancelling"):
        raise refusals.VOUCHER_NOT_ACTIVE(status=voucher.status, field="signed")
    if voucher.amount_cents > allowed["voucher_cents"]:
        raise refusals.OFFLINE_AMOUNT_OVER_LIMIT(amount_cents=voucher.amount_cents,
                                                 limit_cents=allowed["voucher_cents"],
                                                 field="signed")
    if waiting + voucher.amount_cents > allowed["waiting_cents"]:
        raise refusals.OFFLINE_WAITING_OVER_LIMIT(
            waiting_cents=waiting + voucher.amount_cents,
            limit_cents=allowed["waiting_cents"], field="signed")
    if voucher.status == "cancelling":  # accepted within the window: paid, not cancelled
        voucher.cancellation_refused = "voucher_redeemed_offline"
    voucher.accepted_offline_at = accepted_at
    voucher.offline_device_id = item.device_id
    redeemed_at = min(accepted_at, now)
    vouchers.pay(session, voucher, provider_id, redeemed_at)
    session.add(OfflineRedemption(
        voucher_id=voucher.id, provider_id=provider_id, device_id=item.device_id,
        accepted_at=accepted_at, received_at=now, outcome="recorded"))
    session.flush()
    answer.update(outcome="recorded", voucher=vouchers.voucher_view(voucher),
                  redeemed_at=redeemed_at.isoformat())
    return voucher.amount_cents


def _report_duplicate(session: Session, voucher: Voucher, accepted_at: datetime,
                      received_at: datetime) -> None:
    """Tell the provider (through notifications) that one of its phones accepted a voucher
    it had redeemed already: an event in the outbox, in the transaction that records the
    duplicate, so it is told once per duplicate recorded (a phone sending it again finds
    its row and records nothing). The voucher's code, title and amount, and when each
    acceptance was; no device ids, nobody's name."""
    first = voucher.accepted_offline_at or voucher.redeemed_at
    record_event(session, events.VOUCHER_ACCEPTED_AGAIN, {
        "voucher_id": voucher.id, "provider_id": voucher.provider_id, "code": voucher.code,
        "title": voucher.title, "category": voucher.category,
        "amount_cents": voucher.amount_cents,
        "first_accepted_at": aware(first).isoformat() if first else None,
        "first_offline": voucher.accepted_offline_at is not None,
        "accepted_at": accepted_at.isoformat(), "received_at": received_at.isoformat(),
    }, producer=vouchers.PRODUCER, company_id=voucher.company_id)


def _again(before: OfflineRedemption | None, voucher: Voucher, answer: dict[str, Any]) -> int:
    """An acceptance met before (`before`: this phone's own, sent again) or a voucher
    this provider had redeemed already."""
    recorded = before is not None and before.outcome == "recorded"
    answer.update(outcome="recorded" if recorded else "already_redeemed_by_you",
                  voucher=vouchers.voucher_view(voucher),
                  redeemed_at=aware(voucher.redeemed_at).isoformat()
                  if voucher.redeemed_at else None)
    return 0


def duplicates(session: Session, provider_id: str, limit: int = 100) -> dict[str, Any]:
    """The provider's vouchers accepted offline again after they were redeemed (a
    second phone, or after an online redemption): paid once, listed here for the
    provider and counted for the operators."""
    rows = session.execute(
        select(OfflineRedemption, Voucher.code, Voucher.amount_cents)
        .join(Voucher, Voucher.id == OfflineRedemption.voucher_id)
        .where(OfflineRedemption.provider_id == provider_id,
               OfflineRedemption.outcome == "duplicate")
        .order_by(OfflineRedemption.seq.desc()).limit(limit)).all()
    return {"items": [{
        "voucher_id": d.voucher_id, "code": code, "amount_cents": amount,
        "device_id": d.device_id, "accepted_at": aware(d.accepted_at).isoformat(),
        "received_at": aware(d.received_at).isoformat(),
        "first_redeemed_at": aware(d.first_redeemed_at).isoformat()
        if d.first_redeemed_at else None,
        "first_device_id": d.first_device_id} for d, code, amount in rows]}
