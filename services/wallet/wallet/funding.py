"""Money into a company's fund (top-ups) and from it to employees (grants).
The rules: docs/domain.md#top-ups, docs/domain.md#grants, docs/ledger.md#transfers."""

from __future__ import annotations

import secrets
import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from wecare_common import metrics
from wecare_common.contract import events, refusals
from wecare_common.errors import InsufficientFunds
from wecare_common.outbox import record_event

from wallet import copies, ledger
from wallet.ledger import Leg
from wallet.models import (
    Account,
    FringeUsage,
    LedgerTransaction,
    Plan,
    Posting,
    StripeEvent,
    Topup,
)
from wallet.payouts import debtor

PRODUCER = "wallet"
# Crockford's base32: no I, L, O or U, so a reference reads aloud without doubt.
_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"


def bank_reference() -> str:
    chars = "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(10))
    return f"WC-{chars[:5]}-{chars[5:]}"


def payee() -> dict[str, str]:
    """Where a company sends a bank-transfer top-up: the platform's own account."""
    account = debtor()  # the account payouts leave from
    return {"name": account["name"], "iban": account["IBAN"], "bic": account["BIC"]}


def topup_view(topup: Topup) -> dict[str, Any]:
    view = {
        "id": topup.id, "company_id": topup.company_id, "amount_cents": topup.amount_cents,
        "method": topup.method, "status": topup.status,
        "created_at": topup.created_at.isoformat(),
    }
    if topup.method == "bank_transfer":
        view["bank_reference"] = topup.bank_reference
        view["pay_to"] = payee()
    else:
        view["client_secret"] = topup.client_secret
    return view


def request_topup(session: Session, *, company_id: str, amount_cents: int, method: str,
                  idempotency_key: str, payment_intent: dict[str, Any] | None = None
                  ) -> dict[str, Any]:
    """A pending top-up; the same key returns the first one."""
    existing = session.scalar(select(Topup).where(Topup.idempotency_key == idempotency_key))
    if existing is not None:
        if (existing.company_id, existing.amount_cents, existing.method) != (
                company_id, amount_cents, method):
            raise refusals.TOPUP_KEY_REUSED(field="idempotency_key")
        return topup_view(existing)
    topup = Topup(
        id=str(uuid.uuid4()), company_id=company_id, amount_cents=amount_cents, method=method,
        status="pending", idempotency_key=idempotency_key, created_at=datetime.now(UTC),
        bank_reference=bank_reference() if method == "bank_transfer" else None,
        payment_intent_id=(payment_intent or {}).get("id"),
        client_secret=(payment_intent or {}).get("client_secret"),
    )
    session.add(topup)
    session.flush()
    metrics.on_commit(session, metrics.TOPUPS.labels(method, "requested"))
    return topup_view(topup)


def confirm_topup(session: Session, topup_id: str, *, source: str = ledger.EXTERNAL_BANK,
                  method: str = "bank_transfer") -> dict[str, Any]:
    """Credit the fund with a received top-up, once."""
    topup = session.scalar(select(Topup).where(Topup.id == topup_id).with_for_update())
    if topup is None or topup.method != method:
        raise refusals.TOPUP_UNKNOWN(method=method.replace("_", " "), field="topup_id")
    # A card payment that failed may succeed on a later attempt (same PaymentIntent).
    if topup.status not in (("pending", "failed") if method == "card" else ("pending",)):
        raise refusals.TOPUP_ALREADY(status=topup.status, field="topup_id")
    posted = ledger.post(
        session, kind="topup", idempotency_key=f"topup:{topup.id}", company_id=topup.company_id,
        legs=ledger.transfer(Leg(source, 0), [
            Leg(ledger.fund_account(topup.company_id), topup.amount_cents,
                company_id=topup.company_id)]),
        memo={"topup_id": topup.id, "method": topup.method},
    )
    topup.status = "succeeded"
    topup.transaction_id = posted.transaction.id
    fund = posted.balances.get(ledger.fund_account(topup.company_id),
                               ledger.balance(session, ledger.fund_account(topup.company_id)))
    record_event(session, events.TOPUP_SUCCEEDED, {
        "topup_id": topup.id, "amount_cents": topup.amount_cents, "method": topup.method,
        "fund_balance_cents": fund,
    }, producer=PRODUCER, company_id=topup.company_id)
    metrics.on_commit(session, metrics.TOPUPS.labels(topup.method, "succeeded"))
    return topup_view(topup)


def fund_balance(session: Session, company_id: str) -> dict[str, Any]:
    return {"company_id": company_id,
            "balance_cents": ledger.balance(session, ledger.fund_account(company_id))}


def grant(session: Session, *, grant_id: str, company_id: str, plan: dict[str, Any],
          employee_ids: list[str], amount_cents: int, idempotency_key: str) -> dict[str, Any]:
    """Move credit from the company fund to each employee's plan account, as one
    transaction, whatever the number of employees (`ledger.post_credits`: a few
    statements, nothing per employee in Python)."""
    known = session.get(Plan, plan["id"])
    if known is not None and known.company_id != company_id:
        raise refusals.PLAN_UNKNOWN(field="plan_id")
    copy = copies.keep_plan(session, {**plan, "company_id": company_id})
    if copy.valid_until < date.today():
        raise refusals.PLAN_ENDED(valid_until=copy.valid_until, field="plan_id")
    fund = ledger.fund_account(company_id)
    try:
        posted = ledger.post_credits(
            session, kind="grant", idempotency_key=f"grant:{idempotency_key}", source=fund,
            owners=employee_ids, plan_id=copy.id, amount_cents=amount_cents,
            company_id=company_id, memo={"grant_id": grant_id, "plan_id": copy.id})
    except InsufficientFunds as exc:
        if exc.params.get("account") != fund:
            raise
        raise refusals.FUND_SHORT(missing_cents=exc.params["missing_cents"],
                                  field="amount_cents") from exc
    total = amount_cents * len(employee_ids)
    if not posted.replayed:
        record_event(session, events.WALLET_CREDITED, {
            "grant_id": grant_id, "plan_id": copy.id, "transaction_id": posted.transaction.id,
            "total_cents": total, "employee_count": len(employee_ids),
        }, producer=PRODUCER, company_id=company_id)
        metrics.on_commit(session, metrics.CREDIT_GRANTED, total)
    return {"grant_id": grant_id, "transaction_id": posted.transaction.id,
            "total_cents": total, "employee_count": len(employee_ids),
            "replayed": posted.replayed}


def employee_wallet(session: Session, employee_id: str, today: date | None = None,
                    fringe_limit: Any = None) -> dict[str, Any]:
    """Balances per plan, the credit that expires within 30 days, and this year's
    fringe-benefit spend against its limit (`fringe_limit(employee, year)` when
    the wallet has not heard the limit yet)."""
    today = today or date.today()
    rows = session.execute(
        select(Account.balance_cents, Plan).join(Plan, Plan.id == Account.plan_id)
        .where(Account.owner_id == employee_id, Account.kind == "employee")
        .order_by(Plan.valid_until)
    ).all()
    plans = []
    for balance_cents, plan in rows:
        days_left = (plan.valid_until - today).days
        plans.append({
            "plan_id": plan.id, "name": plan.name, "balance_cents": balance_cents,
            "valid_until": plan.valid_until.isoformat(), "categories": plan.categories,
            "expiring": balance_cents > 0 and 0 <= days_left <= 30,
        })
    usage = session.get(FringeUsage, (employee_id, today.year))
    limit = usage.limit_cents if usage else (
        fringe_limit(employee_id, today.year) if fringe_limit else None)
    used = usage.used_cents if usage else 0
    return {
        "employee_id": employee_id,
        "plans": plans,
        "total_cents": sum(p["balance_cents"] for p in plans),
        "expiring_cents": sum(p["balance_cents"] for p in plans if p["expiring"]),
        "fringe": {"year": today.year, "used_cents": used, "limit_cents": limit,
                   "room_cents": None if limit is None else limit - used},
    }


def statement(session: Session, employee_id: str, limit: int, cursor: str | None
              ) -> dict[str, Any]:
    """The employee's postings, newest first, a page at a time."""
    query = (
        select(Posting.seq, Posting.amount_cents, Posting.account_id, LedgerTransaction.kind,
               LedgerTransaction.created_at, LedgerTransaction.memo)
        .join(LedgerTransaction, LedgerTransaction.id == Posting.transaction_id)
        .join(Account, Account.id == Posting.account_id)
        .where(Account.owner_id == employee_id, Account.kind == "employee")
        .order_by(Posting.seq.desc()).limit(limit + 1)
    )
    if cursor:
        query = query.where(Posting.seq < int(cursor))
    rows = session.execute(query).all()
    items = [{
        "id": str(r.seq), "kind": r.kind, "amount_cents": r.amount_cents,
        "plan_id": r.memo.get("plan_id"), "occurred_at": r.created_at.isoformat(),
    } for r in rows[:limit]]
    return {"items": items, "next_cursor": str(rows[limit - 1].seq) if len(rows) > limit else None}


def handle_stripe_event(session: Session, event: dict[str, Any]) -> str:
    """Apply a verified Stripe event once; tolerate duplicates and disorder."""
    if session.get(StripeEvent, event["id"]) is not None:
        return "duplicate"
    session.add(StripeEvent(id=event["id"], type=event["type"], received_at=datetime.now(UTC)))
    intent = event.get("data", {}).get("object", {})
    if event["type"] not in ("payment_intent.succeeded", "payment_intent.payment_failed"):
        return "ignored"
    topup = session.scalar(select(Topup).where(Topup.payment_intent_id == intent.get("id"))
                           .with_for_update())
    if topup is None:
        return "ignored"  # not a WeCare top-up
    if event["type"] == "payment_intent.succeeded":
        if topup.status == "succeeded":
            return "already applied"
        if intent.get("amount") != topup.amount_cents or intent.get("currency") != "eur":
            raise refusals.PAYMENT_MISMATCH(field="amount")
        confirm_topup(session, topup.id, source=ledger.EXTERNAL_STRIPE, method="card")
        return "credited"
    if topup.status != "pending":
        return "ignored"  # a failure reported after the success (out of order)
    topup.status = "failed"
    error = (intent.get("last_payment_error") or {}).get("message")
    record_event(session, events.TOPUP_FAILED, {
        "topup_id": topup.id, "amount_cents": topup.amount_cents, "reason": error,
        "fund_balance_cents": ledger.balance(session, ledger.fund_account(topup.company_id)),
    }, producer=PRODUCER, company_id=topup.company_id)
    metrics.on_commit(session, metrics.TOPUPS.labels(topup.method, "failed"))
    return "failed"
