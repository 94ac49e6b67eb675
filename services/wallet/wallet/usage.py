"""What each employee used in a fiscal year, by category: the wallet's side of
the payroll report (vouchers bought and kept, reimbursements paid), and of an
employee's yearly summary (what was granted to them, what they used)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wallet.models import SPENT, Account, LedgerTransaction, Posting, ReimbursementHold, Voucher


def used_in(session: Session, company_id: str, year: int) -> list[dict[str, Any]]:
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    totals: dict[tuple[str, str], int] = defaultdict(int)
    vouchers = session.execute(
        select(Voucher.employee_id, Voucher.category, func.sum(Voucher.amount_cents))
        .where(Voucher.company_id == company_id, Voucher.status.in_(SPENT),
               Voucher.created_at >= start, Voucher.created_at < end)
        .group_by(Voucher.employee_id, Voucher.category)).all()
    paid = session.execute(
        select(ReimbursementHold.employee_id, ReimbursementHold.category,
               func.sum(ReimbursementHold.amount_cents))
        .where(ReimbursementHold.company_id == company_id, ReimbursementHold.year == year,
               ReimbursementHold.status == "paid")
        .group_by(ReimbursementHold.employee_id, ReimbursementHold.category)).all()
    for employee_id, category, cents in [*vouchers, *paid]:
        totals[(employee_id, category)] += int(cents)
    return [{"employee_id": e, "category": c, "amount_cents": v}
            for (e, c), v in sorted(totals.items())]


def employee_year(session: Session, employee_id: str, year: int) -> dict[str, Any]:
    """One employee's year: the credit granted to them, and what they used by category
    (vouchers bought and kept, reimbursements paid), for their yearly summary."""
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    received = session.scalar(
        select(func.coalesce(func.sum(Posting.amount_cents), 0))
        .join(LedgerTransaction, LedgerTransaction.id == Posting.transaction_id)
        .join(Account, Account.id == Posting.account_id)
        .where(Account.owner_id == employee_id, Account.kind == "employee",
               LedgerTransaction.kind == "grant", Posting.amount_cents > 0,
               LedgerTransaction.created_at >= start, LedgerTransaction.created_at < end))
    used: dict[str, int] = defaultdict(int)
    for category, cents in [*session.execute(
            select(Voucher.category, func.sum(Voucher.amount_cents))
            .where(Voucher.employee_id == employee_id,
                   Voucher.status.in_(SPENT),
                   Voucher.created_at >= start, Voucher.created_at < end)
            .group_by(Voucher.category)).all(), *session.execute(
            select(ReimbursementHold.category, func.sum(ReimbursementHold.amount_cents))
            .where(ReimbursementHold.employee_id == employee_id,
                   ReimbursementHold.year == year, ReimbursementHold.status == "paid")
            .group_by(ReimbursementHold.category)).all()]:
        used[category] += int(cents)
    return {"employee_id": employee_id, "year": year, "received_cents": int(received or 0),
            "used": [{"category": c, "amount_cents": v} for c, v in sorted(used.items())]}
