"""What each employee used in a fiscal year, by category: the wallet's side of
the payroll report (vouchers bought and kept, reimbursements paid)."""

from __future__ import annotations

from collections import defaultdict
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wallet.models import ReimbursementHold, Voucher


def used_in(session: Session, company_id: str, year: int) -> list[dict[str, Any]]:
    start = datetime(year, 1, 1, tzinfo=UTC)
    end = datetime(year + 1, 1, 1, tzinfo=UTC)
    totals: dict[tuple[str, str], int] = defaultdict(int)
    vouchers = session.execute(
        select(Voucher.employee_id, Voucher.category, func.sum(Voucher.amount_cents))
        .where(Voucher.company_id == company_id, Voucher.status.in_(("issued", "redeemed")),
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
