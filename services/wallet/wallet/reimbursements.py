"""Credit held for a reimbursement request, then paid out with payroll or
given back (docs/fiscal-rules.md#categories: categories that may be reimbursed in cash only; the
benefits service checks the category and the receipt)."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from wecare_common.contract import refusals
from wecare_common.errors import InsufficientFunds

from wallet import expiry, ledger
from wallet.fringe import FRINGE, give_back_fringe_room, take_fringe_room
from wallet.ledger import Leg
from wallet.models import Employee, ReimbursementHold
from wallet.vouchers import eligible_plans

PRODUCER = "wallet"


def hold_account(reimbursement_id: str) -> str:
    return f"reimbursement:{reimbursement_id}"


def hold(session: Session, *, reimbursement_id: str, employee_id: str, category: str,
         amount_cents: int, plan_id: str | None, spent_on: date,
         fringe_limit: Callable[[str, int], int]) -> dict[str, Any]:
    """Hold the amount from one plan's credit at once (idempotent by id)."""
    existing = session.get(ReimbursementHold, reimbursement_id)
    if existing is not None:
        return hold_view(existing)
    employee = session.get(Employee, employee_id)
    if employee is None:
        raise refusals.NO_WALLET_YET()
    if employee.left_on is not None:
        raise refusals.EMPLOYEE_LEFT(left_on=employee.left_on, field="amount_cents")
    eligible = eligible_plans(session, employee_id, category, date.today(), plan_id)
    funded = [(p, b) for p, b in eligible if b >= amount_cents]
    plan = (funded or eligible)[0][0]
    if category == FRINGE:
        take_fringe_room(session, employee_id, spent_on.year, amount_cents, fringe_limit,
                         field="amount_cents")
    try:
        ledger.post(session, kind="reimbursement_hold",
                    idempotency_key=f"reimbursement-hold:{reimbursement_id}",
                    company_id=employee.company_id, memo={"plan_id": plan.id},
                    legs=ledger.transfer(Leg(ledger.credit_account(employee_id, plan.id), 0), [
                        Leg(hold_account(reimbursement_id), amount_cents,
                            company_id=employee.company_id, owner_id=employee_id,
                            plan_id=plan.id)]))
    except InsufficientFunds as exc:
        raise refusals.NOT_ENOUGH_CREDIT(
            needed_cents=amount_cents, available_cents=max(b for _, b in eligible),
            field="amount_cents") from exc
    held = ReimbursementHold(id=reimbursement_id, company_id=employee.company_id,
                             employee_id=employee_id, plan_id=plan.id, category=category,
                             amount_cents=amount_cents, year=spent_on.year, status="held",
                             created_at=datetime.now(UTC))
    session.add(held)
    session.flush()
    return hold_view(held)


def _locked(session: Session, reimbursement_id: str) -> ReimbursementHold:
    held = session.scalar(select(ReimbursementHold).where(
        ReimbursementHold.id == reimbursement_id).with_for_update())
    if held is None:
        raise refusals.HOLD_UNKNOWN(field="id")
    return held


def pay(session: Session, reimbursement_id: str) -> dict[str, Any]:
    """Approved: the held credit leaves to the employee with the next payroll."""
    held = _locked(session, reimbursement_id)
    if held.status == "paid":
        return hold_view(held)
    if held.status != "held":
        raise refusals.HOLD_ALREADY(status=held.status, field="id")
    ledger.post(session, kind="reimbursement_paid", company_id=held.company_id,
                idempotency_key=f"reimbursement-paid:{held.id}", memo={"plan_id": held.plan_id},
                legs=[Leg(hold_account(held.id), -held.amount_cents),
                      Leg(ledger.EXTERNAL_BANK, held.amount_cents)])
    held.status = "paid"
    return hold_view(held)


def release(session: Session, reimbursement_id: str) -> dict[str, Any]:
    """Rejected: the held credit returns to the plan it came from (to the company fund
    once the employee has left)."""
    held = _locked(session, reimbursement_id)
    if held.status == "released":
        return hold_view(held)
    if held.status != "held":
        raise refusals.HOLD_ALREADY(status=held.status, field="id")
    ledger.post(session, kind="reimbursement_released", company_id=held.company_id,
                idempotency_key=f"reimbursement-released:{held.id}",
                memo={"plan_id": held.plan_id},
                legs=ledger.transfer(Leg(hold_account(held.id), 0), [
                    expiry.credit_given_back(
                        session, employee_id=held.employee_id, plan_id=held.plan_id,
                        company_id=held.company_id, amount_cents=held.amount_cents)]))
    if held.category == FRINGE:
        give_back_fringe_room(session, held.employee_id, held.year, held.amount_cents)
    held.status = "released"
    return hold_view(held)


def hold_view(h: ReimbursementHold) -> dict[str, Any]:
    return {"id": h.id, "employee_id": h.employee_id, "plan_id": h.plan_id,
            "category": h.category, "amount_cents": h.amount_cents, "status": h.status}
