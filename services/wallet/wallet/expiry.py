"""The end of a plan (docs/ledger.md#expiry): no statute makes credit expire, the plan
does. Leftovers return to the company fund or roll over into the next plan,
as the plan says; 14 and 3 days before, employees are told."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.orm import Session
from wecare_common.contract import events
from wecare_common.outbox import record_event

from wallet import ledger
from wallet.ledger import Leg
from wallet.models import Account, Employee, ExpiryNotice, Plan, Voucher

PRODUCER = "wallet"
NOTICE_DAYS = (14, 3)


def _leftovers(session: Session, plan_id: str, lock: bool = False) -> list[Account]:
    query = select(Account).where(Account.plan_id == plan_id, Account.kind == "employee",
                                  Account.balance_cents > 0).order_by(Account.id)
    return list(session.scalars(query.with_for_update() if lock else query))


def _lock_fund(session: Session, company_id: str) -> None:
    session.execute(select(Account.id).where(Account.id == ledger.fund_account(company_id))
                    .with_for_update())


def next_plan(session: Session, plan: Plan) -> Plan | None:
    return session.scalar(
        select(Plan).where(Plan.company_id == plan.company_id,
                           Plan.valid_from > plan.valid_until)
        .order_by(Plan.valid_from, Plan.id).limit(1))


def close_plan(session: Session, plan: Plan) -> dict[str, Any] | None:
    """Apply the plan's leftover policy to every employee's remaining credit.
    Returns None when a roll-over waits for the next plan to exist."""
    destination = None
    if plan.leftover_policy == "roll_over":
        destination = next_plan(session, plan)
        if destination is None:
            return None
    _lock_fund(session, plan.company_id)  # the ledger's lock order: fund, then employees
    accounts = _leftovers(session, plan.id, lock=True)
    moved: list[dict[str, Any]] = [{"employee_id": a.owner_id, "amount_cents": a.balance_cents}
                                   for a in accounts]
    if accounts:
        if destination is None:
            targets = [Leg(ledger.fund_account(plan.company_id),
                           sum(a.balance_cents for a in accounts), company_id=plan.company_id)]
        else:
            # an employee's credit account always has its owner
            targets = [Leg(ledger.credit_account(cast(str, a.owner_id), destination.id),
                           a.balance_cents,
                           company_id=plan.company_id, owner_id=a.owner_id,
                           plan_id=destination.id) for a in accounts]
        legs = [Leg(a.id, -a.balance_cents) for a in accounts] + targets
        ledger.post(session, kind="credit_expiry", idempotency_key=f"plan-end:{plan.id}",
                    company_id=plan.company_id, legs=legs,
                    memo={"plan_id": plan.id,
                          "to_plan_id": destination.id if destination else None})
    plan.closed_at = datetime.now(UTC)
    summary = {"plan_id": plan.id, "plan_name": plan.name,
               "valid_until": plan.valid_until.isoformat(),
               "destination": "next_plan" if destination else "company_fund",
               "next_plan_id": destination.id if destination else None,
               "employees": moved, "total_cents": sum(m["amount_cents"] for m in moved)}
    record_event(session, events.CREDITS_EXPIRED, summary, producer=PRODUCER,
                 company_id=plan.company_id)
    return summary


def plans_to_close(session: Session, today: date) -> list[Plan]:
    """Plans ended and not yet closed, once none of their vouchers is still issued or
    being cancelled: those wait for their provider's offline window (docs/offline.md)
    and give their money back to the plan's credit, which the closing then moves on."""
    waiting = select(Voucher.id).where(Voucher.plan_id == Plan.id,
                                       Voucher.status.in_(("issued", "cancelling")))
    return list(session.scalars(
        select(Plan).where(Plan.valid_until < today, Plan.closed_at.is_(None),
                           ~waiting.exists())
        .order_by(Plan.valid_until, Plan.id).with_for_update(skip_locked=True)))


def announce_expiring(session: Session, today: date) -> int:
    """Publish `credits.expiring` once per employee and plan, 14 and 3 days before."""
    sent = 0
    for days in NOTICE_DAYS:
        plans = session.scalars(select(Plan).where(
            Plan.valid_until == date.fromordinal(today.toordinal() + days),
            Plan.closed_at.is_(None))).all()
        for plan in plans:
            for account in _leftovers(session, plan.id):
                if session.get(ExpiryNotice, (plan.id, account.owner_id, days)):
                    continue
                session.add(ExpiryNotice(plan_id=plan.id, employee_id=account.owner_id,
                                         days_before=days))
                record_event(session, events.CREDITS_EXPIRING, {
                    "plan_id": plan.id, "plan_name": plan.name, "employee_id": account.owner_id,
                    "amount_cents": account.balance_cents, "days_left": days,
                    "valid_until": plan.valid_until.isoformat()},
                    producer=PRODUCER, company_id=plan.company_id)
                sent += 1
    return sent


def credit_given_back(session: Session, *, employee_id: str, plan_id: str, company_id: str,
                      amount_cents: int) -> Leg:
    """Where credit given back goes (a voucher cancelled or expired, a reimbursement
    rejected): the plan credit it came from, or the company fund once the employee has
    left, for they can no longer spend it (docs/ledger.md#expiry)."""
    employee = session.get(Employee, employee_id)
    if employee is not None and employee.left_on is not None:
        return Leg(ledger.fund_account(company_id), amount_cents, company_id=company_id)
    return Leg(ledger.credit_account(employee_id, plan_id), amount_cents,
               company_id=company_id, owner_id=employee_id, plan_id=plan_id)


def leaver(session: Session, employee_id: str, company_id: str | None = None,
           left_on: date | None = None) -> int:
    """An employee left: their unspent credit goes back to the company fund
    (a roll-over has no next plan for someone who is gone), and the wallet's copy
    of them says so, so they buy nothing more and what comes back later (a voucher
    cancelled) goes to the fund too. Vouchers already bought stay theirs to use."""
    if company_id is not None:
        copy = session.get(Employee, employee_id) or Employee(id=employee_id,
                                                              company_id=company_id)
        copy.left_on = left_on or date.today()
        session.merge(copy)
    company_id = session.scalar(select(Account.company_id).where(
        Account.owner_id == employee_id, Account.kind == "employee").limit(1))
    if company_id is None:
        return 0
    _lock_fund(session, company_id)  # the ledger's lock order: fund, then employees
    accounts = list(session.scalars(
        select(Account).where(Account.owner_id == employee_id, Account.kind == "employee",
                              Account.balance_cents > 0).order_by(Account.id).with_for_update()))
    if not accounts:
        return 0
    total = sum(a.balance_cents for a in accounts)
    ledger.post(session, kind="credit_expiry", idempotency_key=f"leaver:{employee_id}",
                company_id=company_id, memo={"employee_id": employee_id, "reason": "left"},
                legs=[*(Leg(a.id, -a.balance_cents) for a in accounts),
                      Leg(ledger.fund_account(company_id), total, company_id=company_id)])
    record_event(session, events.CREDITS_EXPIRED, {
        "employee_id": employee_id, "reason": "employee_left", "destination": "company_fund",
        "employees": [{"employee_id": employee_id, "amount_cents": total}],
        "total_cents": total}, producer=PRODUCER, company_id=company_id)
    return total
