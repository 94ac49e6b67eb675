"""The company's figures for HR's dashboard, from the ledger: the fund, what was
topped up, granted and returned in a year (the fund's own postings), what
employees spent (vouchers bought and kept, reimbursements paid) by category
and by month, and the credit still with employees, plan by plan, with the
date each plan ends (no statute makes credit expire: the plan does); and the
company's own top-ups with their state."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wallet import keyset, ledger
from wallet.funding import topup_view
from wallet.models import (
    SPENT,
    Account,
    LedgerTransaction,
    Plan,
    Posting,
    ReimbursementHold,
    Topup,
    Voucher,
)

EXPIRING_DAYS = 60  # a plan ending within this many days is "expiring"


def company_dashboard(session: Session, company_id: str, year: int,
                      today: date | None = None) -> dict[str, Any]:
    today = today or date.today()
    start, end = datetime(year, 1, 1, tzinfo=UTC), datetime(year + 1, 1, 1, tzinfo=UTC)
    months: dict[int, dict[str, int]] = {m: {"month": m, "topped_up_cents": 0,
                                             "granted_cents": 0, "returned_cents": 0,
                                             "spent_cents": 0} for m in range(1, 13)}
    fund = ledger.fund_account(company_id)
    for cents, kind, moment in session.execute(
            select(Posting.amount_cents, LedgerTransaction.kind, LedgerTransaction.created_at)
            .join(LedgerTransaction, LedgerTransaction.id == Posting.transaction_id)
            .where(Posting.account_id == fund, LedgerTransaction.created_at >= start,
                   LedgerTransaction.created_at < end)):
        month = months[moment.month]
        if kind == "topup":
            month["topped_up_cents"] += cents
        elif kind == "grant":
            month["granted_cents"] -= cents
        elif cents > 0:  # credit that came back: a plan's end, a leaver
            month["returned_cents"] += cents
    categories: dict[str, int] = defaultdict(int)
    month_of = func.extract("month", Voucher.created_at)
    for category, month, cents in session.execute(
            select(Voucher.category, month_of, func.sum(Voucher.amount_cents))
            .where(Voucher.company_id == company_id, Voucher.status.in_(SPENT),
                   Voucher.created_at >= start, Voucher.created_at < end)
            .group_by(Voucher.category, month_of)):
        categories[category] += int(cents)
        months[int(month)]["spent_cents"] += int(cents)
    paid_month = func.extract("month", ReimbursementHold.created_at)
    for category, month, cents in session.execute(
            select(ReimbursementHold.category, paid_month,
                   func.sum(ReimbursementHold.amount_cents))
            .where(ReimbursementHold.company_id == company_id, ReimbursementHold.year == year,
                   ReimbursementHold.status == "paid")
            .group_by(ReimbursementHold.category, paid_month)):
        categories[category] += int(cents)
        months[int(month)]["spent_cents"] += int(cents)
    plans = []
    soon = today + timedelta(days=EXPIRING_DAYS)
    for plan, cents, people in session.execute(
            select(Plan, func.sum(Account.balance_cents), func.count(Account.id))
            .join(Plan, Plan.id == Account.plan_id)
            .where(Account.company_id == company_id, Account.kind == "employee",
                   Account.balance_cents > 0, Plan.closed_at.is_(None))
            .group_by(Plan.id).order_by(Plan.valid_until, Plan.id)):
        plans.append({"plan_id": plan.id, "name": plan.name,
                      "valid_until": plan.valid_until.isoformat(),
                      "leftover_policy": plan.leftover_policy, "amount_cents": int(cents),
                      "employees": int(people), "expiring": plan.valid_until <= soon})
    by_month = list(months.values())
    return {
        "company_id": company_id, "year": year,
        "fund_balance_cents": ledger.balance(session, fund),
        "topped_up_cents": sum(m["topped_up_cents"] for m in by_month),
        "granted_cents": sum(m["granted_cents"] for m in by_month),
        "returned_cents": sum(m["returned_cents"] for m in by_month),
        "spent_cents": sum(m["spent_cents"] for m in by_month),
        "outstanding_cents": sum(p["amount_cents"] for p in plans),
        "expiring_cents": sum(p["amount_cents"] for p in plans if p["expiring"]),
        "expiring_days": EXPIRING_DAYS,
        "plans": plans,
        "by_category": [{"category": c, "spent_cents": v}
                        for c, v in sorted(categories.items(), key=lambda kv: -kv[1])],
        "by_month": by_month,
    }


def company_topups(session: Session, company_id: str, limit: int,
                   cursor: str | None = None) -> dict[str, Any]:
    """A company's top-ups, newest first, each with its state (pending, succeeded,
    failed) and, for a bank transfer, the reference to quote."""
    query = select(Topup).where(Topup.company_id == company_id).order_by(
        Topup.created_at.desc(), Topup.id.desc()).limit(limit + 1)
    if cursor:
        query = query.where(keyset.after(Topup.created_at, Topup.id, cursor, newest_first=True))
    rows = session.scalars(query).all()
    return {"items": [topup_view(t) for t in rows[:limit]],
            "next_cursor": (keyset.cursor_of(rows[limit - 1].created_at, rows[limit - 1].id)
                            if len(rows) > limit else None)}
