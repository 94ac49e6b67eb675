"""Paying providers what they are owed: a settlement run moves each payable
balance out of the ledger, by SEPA credit transfer (a pain.001 file for the
platform's bank) or by a Stripe Connect transfer. A run is keyed: running it
again pays nothing twice."""

from __future__ import annotations

import logging
import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sepaxml import SepaTransfer
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from wecare_common import metrics
from wecare_common.contract import events, refusals
from wecare_common.db import aware
from wecare_common.outbox import record_event

from wallet import keyset, ledger
from wallet.commission import commission_of
from wallet.ledger import Leg
from wallet.models import Account, Payout, Provider, SettlementRun, Voucher
from wallet.payouts import debtor, method_for

PRODUCER = "wallet"
log = logging.getLogger(__name__)
RUN_NAMESPACE = uuid.UUID("0b3f9a5e-6f43-4c1e-9d2a-6a1f3e2b7c55")


def payout_view(p: Payout) -> dict[str, Any]:
    return {"id": p.id, "run_id": p.run_id, "provider_id": p.provider_id,
            "amount_cents": p.amount_cents, "commission_cents": p.commission_cents,
            "method": p.method, "status": p.status, "reference": p.reference,
            "created_at": p.created_at.isoformat()}


def held_account(payout_id: str) -> str:
    """Where a recorded payout's money waits until it has left."""
    return f"payout:{payout_id}"


def run(session: Session, *, idempotency_key: str,
        stripe_transfer: Callable[[str, int, str], str] | None) -> dict[str, Any]:
    """Pay every positive payable. `stripe_transfer(account, cents, key)` → transfer id.

    No call to Stripe runs inside a database transaction or under a row lock
    (docs/architecture.md#rules-of-the-house): first the run records what it will pay and
    commits (`record`); then each
    payout still pending, this run's and any earlier one's, goes to Stripe one by one
    with the payout's own id as the idempotency key, and each that went is recorded in
    a short transaction of its own (`pay_pending`). A failure half-way leaves the rest
    pending for the next run, which pays them with the same keys: nobody twice.
    Commits (both steps)."""
    run_id = record(session, idempotency_key=idempotency_key,
                    with_stripe=stripe_transfer is not None)
    if stripe_transfer is not None:
        pay_pending(session, stripe_transfer)
    summary = _summary(session, session.get_one(SettlementRun, run_id))
    session.commit()
    return summary


def record(session: Session, *, idempotency_key: str, with_stripe: bool) -> str:
    """The run and its payouts, committed: SEPA payouts are sent (the run's file is how
    they leave), Stripe ones `pending`, their money held in `payout:<id>`. A run's key
    records it once; its id follows from the key."""
    run_id = str(uuid.uuid5(RUN_NAMESPACE, idempotency_key))
    try:
        if session.get(SettlementRun, run_id) is None:
            _record(session, run_id, idempotency_key, with_stripe)
        session.commit()
    except IntegrityError:  # another replica recorded this run at the same moment
        session.rollback()
        if session.get(SettlementRun, run_id) is None:
            raise
        session.commit()
    return run_id


def _record(session: Session, run_id: str, idempotency_key: str, with_stripe: bool) -> None:
    settlement = SettlementRun(id=run_id, idempotency_key=idempotency_key,
                               created_at=datetime.now(UTC))
    session.add(settlement)
    owed = session.execute(
        select(Account.owner_id, Account.balance_cents)
        .where(Account.kind == "provider", Account.balance_cents > 0)
        .order_by(Account.id).with_for_update()).all()
    sepa = SepaTransfer(debtor(), clean=True)
    sepa_count = 0
    for provider_id, amount in owed:
        provider = session.get(Provider, provider_id)
        payout_id = str(uuid.uuid5(RUN_NAMESPACE, f"{run_id}:{provider_id}"))
        unsettled = select(Voucher).where(Voucher.provider_id == provider_id,
                                          Voucher.status == "redeemed",
                                          Voucher.settled_at.is_(None))
        commission = sum(commission_of(v.amount_cents, v.commission_bps)
                         for v in session.scalars(unsettled))
        reference: str | None
        method = method_for(provider, with_stripe=with_stripe)
        if method == "stripe":
            status, reference = "pending", None
            kind, key, destination = "payout_hold", f"payout-hold:{payout_id}", \
                held_account(payout_id)
        elif method == "sepa" and provider is not None and provider.iban:
            status = "sent"
            reference = "WC" + payout_id.replace("-", "")[:30]
            kind, key, destination = "payout", f"payout:{payout_id}", ledger.EXTERNAL_BANK
            sepa.add_payment({"name": provider.name, "IBAN": provider.iban, "amount": amount,
                              "execution_date": date.today(), "endtoend_id": reference,
                              "description": f"WeCare settlement {run_id[:8]}"})
            sepa_count += 1
        else:
            continue  # nowhere to pay yet: the balance waits for the next run
        posted = ledger.post(
            session, kind=kind, idempotency_key=key,
            legs=[Leg(ledger.payable_account(provider_id), -amount),
                  Leg(destination, amount,
                      owner_id=provider_id if status == "pending" else None)],
            memo={"run_id": run_id, "provider_id": provider_id, "method": method})
        payout = Payout(id=payout_id, run_id=run_id, provider_id=provider_id,
                        amount_cents=amount, commission_cents=commission, method=method,
                        status=status, reference=reference,
                        transaction_id=posted.transaction.id, created_at=datetime.now(UTC))
        session.add(payout)
        metrics.on_commit(session, metrics.PAYOUTS.labels(method, status))
        session.execute(update(Voucher).where(
            Voucher.provider_id == provider_id, Voucher.status == "redeemed",
            Voucher.settled_at.is_(None)).values(settled_at=payout.created_at))
        if status == "sent":
            record_event(session, events.PAYOUT_SENT, payout_view(payout), producer=PRODUCER,
                         company_id=None)
    if sepa_count:
        settlement.sepa_xml = sepa.export(validate=True).decode()


def pay_pending(session: Session, stripe_transfer: Callable[[str, int, str], str]
                ) -> dict[str, int]:
    """Send every pending Stripe payout, oldest first, each with its own id as the
    idempotency key; none inside a transaction. How many went and failed."""
    pending = session.execute(
        select(Payout.id, Provider.stripe_account_id, Payout.amount_cents)
        .join(Provider, Provider.id == Payout.provider_id)
        .where(Payout.status == "pending").order_by(Payout.seq)).all()
    session.commit()  # a read only: nothing stays open over the calls below
    sent = failed = 0
    for payout_id, account, amount in pending:
        if not account:
            failed += 1  # the provider has no Stripe account now: it waits
            metrics.PAYOUTS.labels("stripe", "failed").inc()
            continue
        try:
            reference = stripe_transfer(account, amount, payout_id)
        except Exception:  # noqa: BLE001 - any failure: this payout waits for the next run
            log.warning("payout %s to %s failed; it stays pending", payout_id, account,
                        exc_info=True)
            failed += 1
            metrics.PAYOUTS.labels("stripe", "failed").inc()
            continue
        _sent(session, payout_id, reference)
        session.commit()
        sent += 1
    return {"sent": sent, "failed": failed}


def _sent(session: Session, payout_id: str, reference: str) -> None:
    """Record that a pending payout left (once: a twin that also sent it, with the same
    key and so the same transfer, finds it sent)."""
    payout = session.scalar(select(Payout).where(Payout.id == payout_id).with_for_update())
    if payout is None or payout.status != "pending":
        return
    source = ledger.EXTERNAL_STRIPE
    posted = ledger.post(
        session, kind="payout", idempotency_key=f"payout:{payout_id}",
        legs=[Leg(held_account(payout_id), -payout.amount_cents),
              Leg(source, payout.amount_cents)],
        memo={"run_id": payout.run_id, "provider_id": payout.provider_id,
              "method": payout.method})
    payout.status, payout.reference = "sent", reference
    payout.transaction_id = posted.transaction.id
    metrics.on_commit(session, metrics.PAYOUTS.labels(payout.method, "sent"))
    record_event(session, events.PAYOUT_SENT, payout_view(payout), producer=PRODUCER,
                 company_id=None)


def _summary(session: Session, settlement: SettlementRun) -> dict[str, Any]:
    payouts = session.scalars(select(Payout).where(Payout.run_id == settlement.id)
                              .order_by(Payout.seq)).all()
    return {"id": settlement.id, "created_at": settlement.created_at.isoformat(),
            "payouts": [payout_view(p) for p in payouts],
            "total_cents": sum(p.amount_cents for p in payouts),
            "sepa_xml": settlement.sepa_xml}


def redemption_view(v: Voucher) -> dict[str, Any]:
    """A redeemed voucher as its provider sees it: the face value, the platform's
    commission on it, what the provider gets, and whether it has been paid out."""
    commission = commission_of(v.amount_cents, v.commission_bps)
    return {"voucher_id": v.id, "code": v.code, "offering_id": v.offering_id,
            "title": v.title, "category": v.category, "amount_cents": v.amount_cents,
            "commission_bps": v.commission_bps, "commission_cents": commission,
            "net_cents": v.amount_cents - commission,
            "redeemed_at": aware(v.redeemed_at).isoformat() if v.redeemed_at else None,
            "settled_at": aware(v.settled_at).isoformat() if v.settled_at else None}


def provider_statement(session: Session, provider_id: str, limit: int, cursor: str | None,
                       redemptions_cursor: str | None = None,
                       since: datetime | None = None) -> dict[str, Any]:
    """What a provider is owed now, what it was paid, and the commission on each:
    payouts newest first (paged by `cursor`), redeemed vouchers newest first (paged
    by `redemptions_cursor`), and with `since` the count and sums of the vouchers
    redeemed from that moment (the client says when its day began)."""
    if session.get(Provider, provider_id) is None:
        raise refusals.PROVIDER_UNKNOWN(field="provider_id")
    query = (select(Payout).where(Payout.provider_id == provider_id)
             .order_by(Payout.seq.desc()).limit(limit + 1))
    if cursor:
        query = query.where(Payout.seq < int(cursor))
    rows = session.scalars(query).all()
    unsettled = session.execute(
        select(func.count(), func.coalesce(func.sum(Voucher.amount_cents), 0))
        .where(Voucher.provider_id == provider_id, Voucher.status == "redeemed",
               Voucher.settled_at.is_(None))).one()
    redeemed = (select(Voucher).where(Voucher.provider_id == provider_id,
                                      Voucher.status == "redeemed")
                .order_by(Voucher.redeemed_at.desc(), Voucher.seq.desc()).limit(limit + 1))
    if redemptions_cursor:
        redeemed = redeemed.where(keyset.after(Voucher.redeemed_at, Voucher.seq,
                                               redemptions_cursor, newest_first=True, key=int))
    redemptions = session.scalars(redeemed).all()
    provider = session.get_one(Provider, provider_id)
    return {
        "provider_id": provider_id,
        "payable_cents": ledger.balance(session, ledger.payable_account(provider_id)),
        "commission_bps": provider.commission_bps,
        "unsettled_vouchers": unsettled[0], "unsettled_face_value_cents": int(unsettled[1]),
        "payouts": [payout_view(p) for p in rows[:limit]],
        "next_cursor": str(rows[limit - 1].seq) if len(rows) > limit else None,
        "redemptions": [redemption_view(v) for v in redemptions[:limit]],
        "redemptions_next_cursor": (
            keyset.cursor_of(redemptions[limit - 1].redeemed_at,  # type: ignore[arg-type]
                             redemptions[limit - 1].seq) if len(redemptions) > limit else None),
        "redeemed_since": _redeemed_since(session, provider_id, since) if since else None,
    }


def _redeemed_since(session: Session, provider_id: str, since: datetime) -> dict[str, Any]:
    """How many vouchers were redeemed from `since`, their face value and commission."""
    rows = session.execute(select(Voucher.amount_cents, Voucher.commission_bps).where(
        Voucher.provider_id == provider_id, Voucher.status == "redeemed",
        Voucher.redeemed_at >= since)).all()
    amount = sum(a for a, _ in rows)
    commission = sum(commission_of(a, bps) for a, bps in rows)
    return {"since": since.isoformat(), "count": len(rows), "amount_cents": amount,
            "commission_cents": commission, "net_cents": amount - commission}
