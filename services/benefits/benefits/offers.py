"""Performance-bonus offers and the employees' choices (docs/domain.md#bonus-offers).

A converted performance bonus is exempt only when the employee chose it (L. 208/2015
art. 1 c. 184, "per scelta del lavoratore"): HR offers a bonus to eligible employees
with a deadline and the plan to credit; each employee chooses how much of it to take
as welfare credit, and may change it until the deadline (midnight, Italian time); no
choice means cash. At the deadline, the outcomes are recorded first (the year's room
taken, each employee's cash part with its substitute tax), then the welfare part is
granted by the wallet with nothing open, keyed by the offer and the amount, and the
offer is closed when every grant is done: a crash anywhere is finished by the timer
(`settle_due`, `finish_settling`), and nothing is granted twice."""

from __future__ import annotations

import uuid
from collections import defaultdict
from collections.abc import Callable
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from wecare_common import clock
from wecare_common.contract import events, refusals
from wecare_common.db import insert_ignore
from wecare_common.errors import DomainError
from wecare_common.outbox import record_event
from wecare_common.rpc import ServiceUnavailable

from benefits import estimates, fiscal_rules, worth
from benefits.domain import GRANT_NAMESPACE, PRODUCER, _finish_grant, get_company, get_plan
from benefits.models import (
    BonusChoice,
    BonusConversion,
    BonusOffer,
    BudgetUse,
    Company,
    Employee,
    Grant,
    Plan,
)

OFFER_NAMESPACE = uuid.UUID("0b9d6c2e-8f1a-4e57-b3c4-2a6f9e1d7c85")
REMIND_DAYS_BEFORE = 3
ELIGIBLE = "up_to_80k"


# -- when ---------------------------------------------------------------------------------
def closes_at(offer: BonusOffer) -> datetime:
    """The first instant the choice is closed: midnight after the deadline, in Italy."""
    return clock.end_of_day(offer.deadline)


def remind_at(offer: BonusOffer) -> datetime:
    """The start of the third day before the deadline, in Italy."""
    return clock.end_of_day(offer.deadline - timedelta(days=REMIND_DAYS_BEFORE + 1))


def is_open(offer: BonusOffer, now: datetime) -> bool:
    return offer.status == "open" and now < closes_at(offer)


def check_deadline(plan: Plan, deadline: date, today: date) -> None:
    """The deadline is today or later, leaves a day of the plan's fiscal year to pay the
    bonus in (the day after it: the year of payment is the bonus's tax year), and the
    plan still runs that day (its credit is granted then)."""
    if deadline < today:
        raise refusals.BONUS_DEADLINE_PAST(deadline=deadline, field="deadline")
    if deadline.year != plan.fiscal_year or deadline >= date(plan.fiscal_year, 12, 31):
        raise refusals.BONUS_DEADLINE_OUTSIDE_YEAR(
            fiscal_year=plan.fiscal_year, last_day=date(plan.fiscal_year, 12, 30),
            field="deadline")
    if plan.valid_until <= deadline:
        raise refusals.BONUS_DEADLINE_AFTER_PLAN(valid_until=plan.valid_until, field="deadline")


# -- HR: offering ----------------------------------------------------------------------------
def _offerees(session: Session, plan: Plan, employee_ids: list[str] | None) -> list[str]:
    """The employees named (each active here and within the income ceiling), or every
    active employee of the plan's groups within it."""
    query = select(Employee.id, Employee.income_band).where(
        Employee.company_id == plan.company_id, Employee.status == "active")
    if employee_ids:
        found = dict(session.execute(query.where(Employee.id.in_(employee_ids))).tuples().all())
        if any(e not in found for e in employee_ids):
            raise refusals.NOT_FOUND(field="employee_ids")
        ineligible = [e for e in employee_ids if found[e] != ELIGIBLE]
        if ineligible:
            rules = fiscal_rules.rules_for(plan.fiscal_year)
            raise refusals.BONUS_NOT_ELIGIBLE(
                income_max_cents=rules.performance_bonus_income_max_cents,
                employee_ids=ineligible[:20], field="employee_ids")
        return list(employee_ids)
    everyone = select(Employee.id).where(
        Employee.company_id == plan.company_id, Employee.status == "active",
        Employee.income_band == ELIGIBLE).order_by(Employee.seq)
    if plan.target_groups:
        everyone = everyone.where(Employee.group.in_(plan.target_groups))
    ids = list(session.scalars(everyone))
    if not ids:
        raise refusals.NOBODY_ELIGIBLE(field="all")
    return ids


def create_offer(session: Session, company_id: str, data: dict[str, Any],
                 idempotency_key: str) -> dict[str, Any]:
    """Offer a bonus; the same key gives the same offer. Each employee is told
    (`bonus.offered`). Commits nothing (the service does)."""
    offer_id = str(uuid.uuid5(OFFER_NAMESPACE, f"{company_id}:{idempotency_key}"))
    known = session.get(BonusOffer, offer_id)
    if known is not None:
        return offer_view(session, known)
    plan = get_plan(session, data["plan_id"], company_id)
    budget = plan.per_employee_budget_cents
    if budget is not None and data["amount_cents"] > budget:
        raise refusals.BONUS_OVER_PLAN_BUDGET(budget_cents=budget, field="amount_cents")
    check_deadline(plan, data["deadline"], clock.today())
    employee_ids = _offerees(session, plan, data.get("employee_ids"))
    offer = BonusOffer(id=offer_id, company_id=company_id, plan_id=plan.id, name=data["name"],
                       agreement=data["agreement"], amount_cents=data["amount_cents"],
                       deadline=data["deadline"], fiscal_year=plan.fiscal_year,
                       status="open", employee_count=len(employee_ids),
                       created_at=clock.now())
    session.add(offer)
    session.flush()
    session.execute(BonusChoice.__table__.insert(), [
        {"offer_id": offer_id, "employee_id": e} for e in employee_ids])
    record_event(session, events.BONUS_OFFERED, {
        **_announced(offer, plan), "employee_ids": employee_ids},
        producer=PRODUCER, company_id=company_id)
    return offer_view(session, offer)


def _announced(offer: BonusOffer, plan: Plan) -> dict[str, Any]:
    return {"offer_id": offer.id, "name": offer.name, "amount_cents": offer.amount_cents,
            "deadline": offer.deadline.isoformat(), "plan_name": plan.name,
            "plan_id": plan.id, "fiscal_year": offer.fiscal_year}


def offer_view(session: Session, offer: BonusOffer) -> dict[str, Any]:
    """An offer as HR sees it, with who chose what, in totals."""
    c = BonusChoice
    chosen, welfare, granted, cash, tax, problems = session.execute(select(
        func.count(c.chosen_at), func.coalesce(func.sum(c.welfare_cents), 0),
        func.coalesce(func.sum(c.granted_welfare_cents), 0),
        func.coalesce(func.sum(c.cash_cents), 0),
        func.coalesce(func.sum(c.substitute_tax_cents), 0),
        select(func.count()).select_from(Grant).where(
            Grant.offer_id == offer.id, Grant.status == "pending",
            Grant.problem.is_not(None)).scalar_subquery())
        .where(c.offer_id == offer.id)).one()
    plan = session.get(Plan, offer.plan_id)
    return {"id": offer.id, "company_id": offer.company_id, "plan_id": offer.plan_id,
            "plan_name": plan.name if plan else None, "name": offer.name,
            "agreement": offer.agreement, "amount_cents": offer.amount_cents,
            "deadline": offer.deadline.isoformat(), "fiscal_year": offer.fiscal_year,
            "status": offer.status, "open": is_open(offer, clock.now()),
            "closes_at": closes_at(offer).isoformat(),
            "employee_count": offer.employee_count, "chosen_count": int(chosen),
            "not_chosen_count": offer.employee_count - int(chosen),
            "welfare_chosen_cents": int(welfare),
            "cash_chosen_cents": offer.amount_cents * offer.employee_count - int(welfare),
            "welfare_granted_cents": int(granted) if offer.status != "open" else None,
            "cash_paid_cents": int(cash) if offer.status != "open" else None,
            "substitute_tax_cents": int(tax) if offer.status != "open" else None,
            "grants_waiting": int(problems),
            "created_at": offer.created_at.isoformat(),
            "settled_at": offer.settled_at.isoformat() if offer.settled_at else None}


def _company_offer(session: Session, company_id: str, offer_id: str) -> BonusOffer:
    offer = session.get(BonusOffer, offer_id)
    if offer is None or offer.company_id != company_id:
        raise refusals.BONUS_OFFER_UNKNOWN(field="offer_id")
    return offer


def list_offers(session: Session, company_id: str) -> dict[str, Any]:
    get_company(session, company_id)
    offers = session.scalars(select(BonusOffer).where(BonusOffer.company_id == company_id)
                             .order_by(BonusOffer.deadline.desc(),
                                       BonusOffer.created_at.desc())).all()
    return {"items": [offer_view(session, o) for o in offers], "next_cursor": None}


def offer_detail(session: Session, company_id: str, offer_id: str) -> dict[str, Any]:
    """The offer with each employee's choice and, after the deadline, its outcome."""
    offer = _company_offer(session, company_id, offer_id)
    rows = session.execute(select(BonusChoice, Employee).join(
        Employee, Employee.id == BonusChoice.employee_id)
        .where(BonusChoice.offer_id == offer.id)
        .order_by(Employee.last_name, Employee.first_name, Employee.seq)).all()
    problems = dict(session.execute(select(Grant.id, Grant.problem).where(
        Grant.offer_id == offer.id, Grant.status == "pending")).tuples().all())
    return {**offer_view(session, offer), "employees": [
        {"employee_id": e.id, "first_name": e.first_name, "last_name": e.last_name,
         "fiscal_code": e.fiscal_code, "status": e.status,
         **_choice_fields(choice), "waiting": choice.grant_id in problems,
         "problem": problems.get(choice.grant_id or "")}
        for choice, e in rows]}


def _choice_fields(choice: BonusChoice) -> dict[str, Any]:
    return {"welfare_cents": choice.welfare_cents,
            "chosen_at": choice.chosen_at.isoformat() if choice.chosen_at else None,
            "outcome": choice.outcome, "granted_welfare_cents": choice.granted_welfare_cents,
            "cash_cents": choice.cash_cents,
            "at_substitute_tax_cents": choice.at_substitute_tax_cents,
            "contributions_cents": choice.contributions_cents,
            "substitute_tax_base_cents": choice.substitute_tax_base_cents,
            "substitute_tax_cents": choice.substitute_tax_cents,
            "ordinary_cents": choice.ordinary_cents}


# -- the employee: comparing and choosing ------------------------------------------------
def _room(session: Session, employee_id: str, year: int, offer_id: str) -> int:
    """What is left of the year's cap for this offer: the cap, less the year's bonus
    with the tax relief already paid (cash at the substitute tax and converted) and the
    welfare the employee chose in their other open offers of the year."""
    rules = fiscal_rules.rules_for(year)
    used = session.execute(select(BonusConversion.converted_cents + BonusConversion.cash_cents)
                           .where(BonusConversion.employee_id == employee_id,
                                  BonusConversion.year == year)).scalar() or 0
    others = session.scalar(select(func.coalesce(func.sum(BonusChoice.welfare_cents), 0)).join(
        BonusOffer, BonusOffer.id == BonusChoice.offer_id).where(
        BonusChoice.employee_id == employee_id, BonusOffer.fiscal_year == year,
        BonusOffer.status == "open", BonusOffer.id != offer_id)) or 0
    return max(rules.performance_bonus_cap_cents - int(used) - int(others), 0)


def _mine(session: Session, employee_id: str, offer_id: str) -> tuple[BonusOffer, BonusChoice]:
    row = session.execute(select(BonusOffer, BonusChoice).join(
        BonusChoice, BonusChoice.offer_id == BonusOffer.id).where(
        BonusOffer.id == offer_id, BonusChoice.employee_id == employee_id)).first()
    if row is None:
        raise refusals.BONUS_OFFER_UNKNOWN(field="offer_id")
    return row[0], row[1]


def my_offer(session: Session, employee_id: str, offer_id: str, income_cents: int | None,
             welfare_cents: int | None = None) -> dict[str, Any]:
    """One offer as the employee sees it: their choice, how far they may convert, and
    the comparison (cash vs welfare) at `welfare_cents` (their choice when not given,
    none when they have not chosen)."""
    offer, choice = _mine(session, employee_id, offer_id)
    employee, company = estimates.company_of(session, employee_id)
    rules = fiscal_rules.rules_for(offer.fiscal_year)
    estimate = estimates.estimate_for(company, income_cents)
    eligible = employee.income_band == ELIGIBLE and employee.status == "active"
    room = _room(session, employee_id, offer.fiscal_year, offer.id)
    top = min(offer.amount_cents, room) if eligible else 0
    if offer.status != "open":  # what it came to
        shown = choice.granted_welfare_cents or 0
        room_before = room + shown + (choice.at_substitute_tax_cents or 0)
    else:
        asked = choice.welfare_cents if welfare_cents is None else welfare_cents
        shown = min(max(asked or 0, 0), top)
        room_before = room
    plan = session.get(Plan, offer.plan_id)
    return {"id": offer.id, "name": offer.name, "agreement": offer.agreement,
            "plan_name": plan.name if plan else None,
            "plan_valid_until": plan.valid_until.isoformat() if plan else None,
            "amount_cents": offer.amount_cents, "deadline": offer.deadline.isoformat(),
            "closes_at": closes_at(offer).isoformat(), "fiscal_year": offer.fiscal_year,
            "status": offer.status, "open": is_open(offer, clock.now()),
            "days_left": max((offer.deadline - clock.today()).days, 0),
            "eligible": eligible, "room_cents": room, "max_welfare_cents": top,
            "cap_cents": rules.performance_bonus_cap_cents,
            "substitute_tax_bps": rules.performance_bonus_substitute_tax_bps,
            "substitute_tax_basis": rules.performance_bonus_substitute_tax_basis,
            "choice": _choice_fields(choice),
            "comparison": worth.bonus_choice(rules, estimate, offer.amount_cents, shown,
                                             room_before, eligible),
            "estimate": estimates.estimate_view(rules, estimate)}


def my_offers(session: Session, employee_id: str, income_cents: int | None
              ) -> dict[str, Any]:
    """The employee's offers, the open ones first, each with its comparison."""
    ids = session.scalars(select(BonusOffer.id).join(
        BonusChoice, BonusChoice.offer_id == BonusOffer.id).where(
        BonusChoice.employee_id == employee_id)
        .order_by((BonusOffer.status == "open").desc(), BonusOffer.deadline.desc())).all()
    return {"items": [my_offer(session, employee_id, i, income_cents) for i in ids],
            "next_cursor": None}


def choose(session: Session, employee_id: str, offer_id: str, welfare_cents: int,
           income_cents: int | None) -> dict[str, Any]:
    """Record (or change) how much of the bonus to take as welfare credit, until the
    deadline. The offer is read under a shared lock: the settlement, which locks it for
    update, runs before or after this, never in between."""
    offer, _ = _mine(session, employee_id, offer_id)
    session.refresh(offer, with_for_update={"read": True})
    if not is_open(offer, clock.now()):
        raise refusals.BONUS_OFFER_CLOSED(deadline=offer.deadline, field="welfare_cents")
    employee, _ = estimates.company_of(session, employee_id)
    rules = fiscal_rules.rules_for(offer.fiscal_year)
    if welfare_cents > 0 and employee.income_band != ELIGIBLE:
        raise refusals.BONUS_WELFARE_NOT_ELIGIBLE(
            income_max_cents=rules.performance_bonus_income_max_cents, field="welfare_cents")
    if welfare_cents > offer.amount_cents:
        raise refusals.BONUS_OVER_AMOUNT(amount_cents=offer.amount_cents, field="welfare_cents")
    room = _room(session, employee_id, offer.fiscal_year, offer.id)
    if welfare_cents > room:
        raise refusals.BONUS_CAP_EXCEEDED(cap_cents=rules.performance_bonus_cap_cents,
                                          room_cents=room, field="welfare_cents")
    session.execute(update(BonusChoice).where(
        BonusChoice.offer_id == offer_id, BonusChoice.employee_id == employee_id)
        .values(welfare_cents=welfare_cents, chosen_at=clock.now()))
    session.flush()
    return my_offer(session, employee_id, offer_id, income_cents)


# -- the timer: the reminder, the deadline ------------------------------------------------
def remind_due(session: Session) -> int:
    """Three days before the deadline, once per offer: each offered employee still
    active is reminded of it and of their choice (`bonus.reminded`). An offer made
    after that moment is not reminded (its offer email is as fresh). Commits."""
    now = clock.now()
    due = [o.id for o in session.scalars(select(BonusOffer).where(
        BonusOffer.status == "open", BonusOffer.reminded_at.is_(None),
        BonusOffer.deadline <= (now + timedelta(days=REMIND_DAYS_BEFORE + 1)).date()))
        if remind_at(o) <= now < closes_at(o)]
    session.commit()
    for offer_id in due:
        offer = session.scalar(select(BonusOffer).where(BonusOffer.id == offer_id)
                               .with_for_update().execution_options(populate_existing=True))
        if offer is None or offer.reminded_at is not None or offer.status != "open":
            session.commit()
            continue
        offer.reminded_at = now
        if offer.created_at < remind_at(offer):
            rows = session.execute(select(BonusChoice.employee_id, BonusChoice.welfare_cents)
                                   .join(Employee, Employee.id == BonusChoice.employee_id)
                                   .where(BonusChoice.offer_id == offer.id,
                                          Employee.status == "active")).all()
            plan = session.get_one(Plan, offer.plan_id)
            record_event(session, events.BONUS_REMINDED, {
                **_announced(offer, plan), "employees": [
                    {"employee_id": r.employee_id, "welfare_cents": r.welfare_cents}
                    for r in rows]}, producer=PRODUCER, company_id=offer.company_id)
        session.commit()
    return len(due)


def settle_due(session: Session) -> list[str]:
    """Offers whose deadline passed: each one's outcomes recorded, once (then settling).
    Commits each. Returns the offers settled now."""
    now = clock.now()
    due = [o.id for o in session.scalars(select(BonusOffer).where(
        BonusOffer.status == "open", BonusOffer.deadline < now.date() + timedelta(days=1)))
        if closes_at(o) <= now]
    session.commit()
    settled = []
    for offer_id in due:
        if _record_outcomes(session, offer_id, now):
            settled.append(offer_id)
        session.commit()
    return settled


def _record_outcomes(session: Session, offer_id: str, now: datetime) -> bool:
    """At the deadline: each employee's welfare part within the year's room (and the
    plan's budget), the rest in cash, the part of it within the room at the substitute
    tax; the counters taken; the welfare parts recorded as pending grants, one per
    amount. All in one transaction, under the offer's lock and each counter's."""
    offer = session.scalar(select(BonusOffer).where(BonusOffer.id == offer_id)
                           .with_for_update().execution_options(populate_existing=True))
    if offer is None or offer.status != "open" or now < closes_at(offer):
        return False
    plan = session.get_one(Plan, offer.plan_id)
    company = session.get_one(Company, offer.company_id)
    rules = fiscal_rules.rules_for(offer.fiscal_year)
    estimate = estimates.estimate_for(company, None)  # the rates: the company's
    rows = session.execute(select(BonusChoice, Employee).join(
        Employee, Employee.id == BonusChoice.employee_id)
        .where(BonusChoice.offer_id == offer.id)
        .order_by(BonusChoice.employee_id)).all()
    ids = [choice.employee_id for choice, _ in rows]
    # every counter row exists and is locked, in one order, before it is read
    insert_ignore(session, BonusConversion.__table__, [
        {"employee_id": e, "year": offer.fiscal_year, "converted_cents": 0, "cash_cents": 0}
        for e in ids])
    used = {r.employee_id: r for r in session.scalars(select(BonusConversion).where(
        BonusConversion.year == offer.fiscal_year, BonusConversion.employee_id.in_(ids))
        .order_by(BonusConversion.employee_id).with_for_update()
        .execution_options(populate_existing=True))}
    budget: dict[str, BudgetUse] = {}
    if plan.per_employee_budget_cents is not None:
        insert_ignore(session, BudgetUse.__table__, [
            {"plan_id": plan.id, "employee_id": e, "granted_cents": 0} for e in ids])
        budget = {r.employee_id: r for r in session.scalars(select(BudgetUse).where(
            BudgetUse.plan_id == plan.id, BudgetUse.employee_id.in_(ids))
            .order_by(BudgetUse.employee_id).with_for_update()
            .execution_options(populate_existing=True))}
    by_amount: dict[int, list[str]] = defaultdict(list)
    for choice, employee in rows:
        counter = used[choice.employee_id]
        room = max(rules.performance_bonus_cap_cents - counter.converted_cents
                   - counter.cash_cents, 0)
        eligible = employee.income_band == ELIGIBLE
        wanted = choice.welfare_cents or 0
        welfare = min(wanted, room) if eligible and employee.status == "active" else 0
        if budget:
            welfare = min(welfare, max(plan.per_employee_budget_cents  # type: ignore[operator]
                                       - budget[choice.employee_id].granted_cents, 0))
        cash = worth.bonus_in_cash(rules, estimate, offer.amount_cents - welfare,
                                   room - welfare, eligible)
        choice.outcome = (
            "no_choice" if choice.welfare_cents is None else
            "left" if employee.status != "active" and wanted else
            "not_eligible" if not eligible and wanted else
            "limited" if welfare < wanted else "as_chosen")
        choice.granted_welfare_cents = welfare
        choice.cash_cents = cash.cash_cents
        choice.at_substitute_tax_cents = cash.at_substitute_tax_cents
        choice.contributions_cents = cash.contributions_cents
        choice.substitute_tax_base_cents = cash.substitute_tax_base_cents
        choice.substitute_tax_cents = cash.substitute_tax_cents
        choice.ordinary_cents = cash.ordinary_cents
        counter.converted_cents += welfare
        counter.cash_cents += cash.at_substitute_tax_cents
        if budget:
            budget[choice.employee_id].granted_cents += welfare
        if welfare:
            by_amount[welfare].append(choice.employee_id)
    for amount, employee_ids in sorted(by_amount.items()):
        grant_id = str(uuid.uuid5(GRANT_NAMESPACE, f"offer:{offer.id}:{amount}"))
        session.add(Grant(id=grant_id, company_id=offer.company_id, plan_id=plan.id,
                          source="performance_bonus", amount_cents=amount,
                          employee_count=len(employee_ids), status="pending",
                          employee_ids=employee_ids, created_at=now, offer_id=offer.id))
        session.execute(update(BonusChoice).where(
            BonusChoice.offer_id == offer.id, BonusChoice.employee_id.in_(employee_ids))
            .values(grant_id=grant_id))
    offer.status = "settling"
    try:
        session.flush()
    except IntegrityError:  # another replica recorded them meanwhile
        session.rollback()
        return False
    return True


def finish_settling(session: Session, wallet_grant: Callable[..., dict[str, Any]]) -> int:
    """Offers whose outcomes are recorded: their pending grants asked of the wallet
    (again: each is keyed), and each offer closed once they are all done, telling
    every employee the result (`bonus.settled`). Commits. Returns the offers closed."""
    settling = list(session.scalars(select(BonusOffer.id).where(
        BonusOffer.status == "settling").order_by(BonusOffer.deadline)))
    session.commit()
    closed = 0
    for offer_id in settling:
        pending = list(session.scalars(select(Grant.id).where(
            Grant.offer_id == offer_id, Grant.status == "pending").order_by(Grant.id)))
        session.commit()
        for grant_id in pending:
            try:
                _finish_grant(session, grant_id, wallet_grant)
            except (DomainError, ServiceUnavailable):
                session.rollback()  # kept pending with the reason; asked again next time
        if _close(session, offer_id):
            closed += 1
    return closed


def _close(session: Session, offer_id: str) -> bool:
    offer = session.scalar(select(BonusOffer).where(BonusOffer.id == offer_id)
                           .with_for_update().execution_options(populate_existing=True))
    waiting = session.scalar(select(func.count()).select_from(Grant).where(
        Grant.offer_id == offer_id, Grant.status == "pending"))
    if offer is None or offer.status != "settling" or waiting:
        session.commit()
        return False
    offer.status, offer.settled_at = "settled", clock.now()
    plan = session.get_one(Plan, offer.plan_id)
    results = [{"employee_id": c.employee_id, "outcome": c.outcome,
                "welfare_cents": c.granted_welfare_cents or 0, "cash_cents": c.cash_cents,
                "contributions_cents": c.contributions_cents,
                "substitute_tax_cents": c.substitute_tax_cents,
                "ordinary_cents": c.ordinary_cents}
               for c in session.scalars(select(BonusChoice).where(
                   BonusChoice.offer_id == offer_id).order_by(BonusChoice.employee_id))]
    record_event(session, events.BONUS_SETTLED, {
        **_announced(offer, plan), "valid_until": plan.valid_until.isoformat(),
        "results": results}, producer=PRODUCER, company_id=offer.company_id)
    session.commit()
    return True


# -- the payroll report ------------------------------------------------------------------
def paid_in(session: Session, company_id: str, year: int) -> list[dict[str, Any]]:
    """Each employee's settled bonus of the year: the cash part with its contributions and
    substitute tax, the part taxed at ordinary rates, the welfare part."""
    rows = session.execute(select(BonusChoice, BonusOffer, Employee).join(
        BonusOffer, BonusOffer.id == BonusChoice.offer_id).join(
        Employee, Employee.id == BonusChoice.employee_id).where(
        BonusOffer.company_id == company_id, BonusOffer.fiscal_year == year,
        BonusOffer.status != "open")
        .order_by(Employee.last_name, Employee.first_name, BonusOffer.deadline)).all()
    return [{"employee_id": e.id, "fiscal_code": e.fiscal_code, "last_name": e.last_name,
             "first_name": e.first_name, "offer_id": o.id, "offer_name": o.name,
             "paid_on": (o.deadline + timedelta(days=1)).isoformat(),
             "amount_cents": o.amount_cents, **_choice_fields(c)}
            for c, o, e in rows]
