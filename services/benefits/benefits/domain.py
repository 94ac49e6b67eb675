"""Companies, employees, plans and grants, as plain functions over a session.
The rules: docs/domain.md#companies, docs/domain.md#employees, docs/domain.md#plans,
docs/domain.md#grants."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Select, func, or_, select, update
from sqlalchemy.dialects.postgresql import aggregate_order_by
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from wecare_common.contract import events, refusals
from wecare_common.db import insert_ignore
from wecare_common.errors import (
    DomainError,
    NotFound,
    ServiceUnavailable,
)
from wecare_common.outbox import record_event
from wecare_common.scope import require_scope

from benefits import fiscal_rules
from benefits.models import BonusConversion, BudgetUse, Company, Employee, Grant, Plan

PRODUCER = "benefits"
GRANT_NAMESPACE = uuid.UUID("6c1f0a3e-2a8e-4d36-9a53-5d0c3e6b7a21")
SIGNUP_NAMESPACE = uuid.UUID("d2b6a3f1-0c47-4e9b-8a5e-3f7c1b9e2d64")


def _now() -> datetime:
    return datetime.now(UTC)


def company_view(c: Company) -> dict[str, Any]:
    return {"id": c.id, "name": c.name, "vat_number": c.vat_number,
            "hr_manager": {"email": c.hr_email, "first_name": c.hr_first_name,
                           "last_name": c.hr_last_name},
            "created_at": c.created_at.isoformat()}


def employee_view(e: Employee) -> dict[str, Any]:
    return {"id": e.id, "company_id": e.company_id, "email": e.email,
            "first_name": e.first_name, "last_name": e.last_name,
            "fiscal_code": e.fiscal_code, "dependent_children": e.dependent_children,
            "language": e.language, "group": e.group,
            "hire_date": e.hire_date.isoformat() if e.hire_date else None,
            "income_band": e.income_band, "status": e.status,
            "left_on": e.left_on.isoformat() if e.left_on else None,
            "created_at": e.created_at.isoformat()}


def plan_view(p: Plan) -> dict[str, Any]:
    return {"id": p.id, "company_id": p.company_id, "name": p.name,
            "fiscal_year": p.fiscal_year, "valid_from": p.valid_from.isoformat(),
            "valid_until": p.valid_until.isoformat(), "categories": p.categories,
            "target_groups": p.target_groups, "leftover_policy": p.leftover_policy,
            "per_employee_budget_cents": p.per_employee_budget_cents,
            "version": p.version or 1, "template_id": p.template_id,
            "created_at": p.created_at.isoformat()}


def signup_id(idempotency_key: str | None) -> str:
    """A record's id: from the sign-up's key when there is one, so that asking again
    with the key gives the same record (the gateway retries a sign-up by its key)."""
    if idempotency_key is None:
        return str(uuid.uuid4())
    return str(uuid.uuid5(SIGNUP_NAMESPACE, idempotency_key))


def create_company(session: Session, data: dict[str, Any],
                   idempotency_key: str | None = None) -> dict[str, Any]:
    company_id = signup_id(idempotency_key)
    if idempotency_key is not None and (known := session.get(Company, company_id)):
        return company_view(known)
    if session.scalar(select(Company.id).where(Company.vat_number == data["vat_number"])):
        raise refusals.COMPANY_ALREADY_REGISTERED(field="vat_number")
    hr = data["hr_manager"]
    company = Company(id=company_id, name=data["name"], vat_number=data["vat_number"],
                      hr_email=hr["email"], hr_first_name=hr["first_name"],
                      hr_last_name=hr["last_name"], created_at=_now())
    session.add(company)
    session.flush()
    view = company_view(company)
    record_event(session, events.COMPANY_CREATED, view, producer=PRODUCER, company_id=company.id)
    return view


def get_company(session: Session, company_id: str) -> Company:
    company = session.get(Company, company_id)
    if company is None:
        raise refusals.COMPANY_UNKNOWN(field="company_id")
    return company


def fringe_limit_for(employee: Employee, year: int) -> int:
    return fiscal_rules.fringe_limit_cents(year, len(employee.dependent_children or []))


def already_enrolled(session: Session, company_id: str, fiscal_codes: list[str],
                     emails: list[str]) -> tuple[set[str], set[str]]:
    """Which of these tax codes and emails the company has enrolled already."""
    rows = session.execute(select(Employee.fiscal_code, Employee.email).where(
        Employee.company_id == company_id,
        Employee.fiscal_code.in_(fiscal_codes) | Employee.email.in_(emails))).all()
    return {r.fiscal_code for r in rows}, {r.email for r in rows}


def enroll_employee(session: Session, company_id: str, data: dict[str, Any],
                    idempotency_key: str | None = None) -> dict[str, Any]:
    get_company(session, company_id)
    employee_id = signup_id(None if idempotency_key is None
                            else f"{company_id}:{idempotency_key}")
    if idempotency_key is not None:
        known = session.scalar(select(Employee).where(Employee.id == employee_id))
        if known is not None and known.company_id == company_id:
            return employee_view(known)
    codes, emails = already_enrolled(session, company_id, [data["fiscal_code"]],
                                     [data["email"]])
    for field, taken in (("fiscal_code", codes), ("email", emails)):
        if data[field] in taken:
            raise refusals.EMPLOYEE_ALREADY_ENROLLED(
                what=field, problems={field: [refusals.ALREADY_ENROLLED.said()]})
    return enroll(session, company_id, [data], ids=[employee_id])[0]


def enroll(session: Session, company_id: str, rows: list[dict[str, Any]],
           ids: list[str] | None = None) -> list[dict[str, Any]]:
    """Add validated, checked employees; each announced with its fringe limit."""
    year = date.today().year
    views = []
    for n, data in enumerate(rows):
        employee = Employee(id=ids[n] if ids else str(uuid.uuid4()), company_id=company_id,
                            status="active", created_at=_now(), **data)
        session.add(employee)
        session.flush()
        view = employee_view(employee)
        record_event(session, events.EMPLOYEE_ENROLLED, {
            **view, "fiscal_year": year, "fringe_limit_cents": fringe_limit_for(employee, year),
        }, producer=PRODUCER, company_id=company_id)
        views.append(view)
    return views


# The employees table's orders: each ends with the sequence, so pages never overlap.
EMPLOYEE_SORTS = {
    "name": (Employee.last_name, Employee.first_name),
    "email": (Employee.email,),
    "fiscal_code": (Employee.fiscal_code,),
    "group": (Employee.group,),
    "hire_date": (Employee.hire_date,),
    "status": (Employee.status,),
    "added": (),
}


def _like(text: str) -> str:
    """A LIKE pattern matching `text` anywhere, its own wildcards taken literally."""
    escaped = text.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


def list_employees(session: Session, company_id: str, limit: int, cursor: str | None = None,
                   q: str | None = None, sort: str | None = None, order: str = "asc",
                   page: int | None = None, status: str | None = None,
                   ids: list[str] | None = None, group: str | None = None
                   ) -> dict[str, Any]:
    """A page of the company's employees. Without `sort` or `page`: in the order
    they were added, a `cursor` at a time. With them: sorted (name, email, …),
    `page` by page, with the `total` that match `q` (any part of the name,
    email or tax code), `status`, `group` or `ids`. Every query starts from the
    company's index; the default order and the name order are read from indexes."""
    get_company(session, company_id)
    where = [Employee.company_id == company_id]
    if q:
        pattern = _like(q.strip())
        where.append(or_(*(func.lower(column).like(pattern, escape="\\") for column in (
            Employee.last_name, Employee.first_name, Employee.email, Employee.fiscal_code,
            Employee.first_name + " " + Employee.last_name))))
    if status:
        where.append(Employee.status == status)
    if group:
        where.append(Employee.group == group)
    if ids:
        where.append(Employee.id.in_(ids))
    paged = sort is not None or page is not None
    if not paged:
        query = select(Employee).where(*where).order_by(Employee.seq).limit(limit + 1)
        if cursor:
            query = query.where(Employee.seq > int(cursor))
        rows = session.scalars(query).all()
        total = session.scalar(select(func.count()).select_from(Employee).where(*where))
        return {"items": [employee_view(e) for e in rows[:limit]],
                "next_cursor": str(rows[limit - 1].seq) if len(rows) > limit else None,
                "total": total}
    columns = [*EMPLOYEE_SORTS[sort or "added"], Employee.seq]
    direction = (lambda c: c.desc()) if order == "desc" else (lambda c: c.asc())
    page = page or 1
    rows = session.scalars(select(Employee).where(*where).order_by(
        *(direction(c) for c in columns)).offset((page - 1) * limit).limit(limit)).all()
    total = session.scalar(select(func.count()).select_from(Employee).where(*where)) or 0
    return {"items": [employee_view(e) for e in rows], "next_cursor": None, "total": total,
            "page": page, "pages": max(1, -(-total // limit))}


def create_plan(session: Session, company_id: str, data: dict[str, Any],
                template_id: str | None = None) -> dict[str, Any]:
    """A plan of the company's own (`template_id`: the network's shared plan it adopts)."""
    get_company(session, company_id)
    plan = Plan(id=str(uuid.uuid4()), company_id=company_id, created_at=_now(),
                template_id=template_id, **data)
    session.add(plan)
    session.flush()
    view = plan_view(plan)
    record_event(session, events.PLAN_CREATED, view, producer=PRODUCER, company_id=company_id)
    return view


def list_plans(session: Session, company_id: str) -> dict[str, Any]:
    """The company's plans, the latest fiscal year first (a company has a few)."""
    get_company(session, company_id)
    plans = session.scalars(select(Plan).where(Plan.company_id == company_id).order_by(
        Plan.fiscal_year.desc(), Plan.valid_from.desc(), Plan.created_at.desc())).all()
    return {"items": [plan_view(p) for p in plans], "next_cursor": None}


def get_plan(session: Session, plan_id: str, company_id: str | None) -> Plan:
    """One of the company's plans; no company named is refused, not "any company's"."""
    require_scope(company_id=company_id)
    plan = session.get(Plan, plan_id)
    if plan is None or plan.company_id != company_id:
        raise refusals.PLAN_UNKNOWN(field="plan_id")
    return plan


def _grantees(session: Session, plan: Plan, employee_ids: list[str] | None,
              source: str = "company") -> list[str]:
    """The chosen employees (each must be active here), or everyone eligible: the
    active employees of the plan's target groups and, for a performance-bonus
    conversion, only those within its income ceiling (income_band up_to_80k)."""
    query = select(Employee.id).where(Employee.company_id == plan.company_id,
                                      Employee.status == "active")
    if employee_ids:
        found = set(session.scalars(query.where(Employee.id.in_(employee_ids))).all())
        unknown = [e for e in employee_ids if e not in found]
        if unknown:
            raise refusals.EMPLOYEES_NOT_FOUND(count=len(unknown), employee_ids=unknown[:20],
                                               fields={"employee_ids": unknown[:20]})
        return list(employee_ids)
    if plan.target_groups:
        query = query.where(Employee.group.in_(plan.target_groups))
    if source == "performance_bonus":
        query = query.where(Employee.income_band == "up_to_80k")
    ids = _ids_in_order(session, query)
    if not ids:
        raise refusals.NOBODY_TO_GRANT(field="all")
    return ids


def _ids_in_order(session: Session, query: Select[tuple[str]]) -> list[str]:
    """The employees' ids `query` selects, in enrolment order. On PostgreSQL as one
    array (one row, parsed in C): read a row each through the ORM, 100,000 ids were a
    third of a bulk grant's CPU here."""
    if session.get_bind().dialect.name == "postgresql":
        ids = select(func.array_agg(aggregate_order_by(Employee.id, Employee.seq)))
        if query.whereclause is not None:
            ids = ids.where(query.whereclause)
        return list(session.connection().scalar(ids) or [])
    return list(session.connection().execute(query.order_by(Employee.seq)).scalars())


def grant_credits(session: Session, *, company_id: str, plan_id: str, data: dict[str, Any],
                  idempotency_key: str, wallet_grant: Callable[..., dict[str, Any]]
                  ) -> dict[str, Any]:
    """Grant `amount_cents` to each listed (or every eligible) employee: the wallet
    moves the money in one transaction, keyed by the grant's id.

    No call to the wallet runs inside a transaction or under a row lock
    (docs/architecture.md#rules-of-the-house): the grant is recorded first, `pending`,
    with the plan's budget and the bonus cap
    taken, and committed; then the wallet is called; then the grant is marked done and
    `credits.granted` recorded. A refusal by the wallet gives the room back and forgets
    the grant; not reaching the wallet leaves it pending, finished by a retry with the
    same key or by `finish_pending_grants`. Commits."""
    plan = get_plan(session, plan_id, company_id)
    grant_id = str(uuid.uuid5(GRANT_NAMESPACE, f"{company_id}:{idempotency_key}"))
    existing = session.get(Grant, grant_id)
    if existing is not None and existing.status == "done":
        return _grant_view(existing, replayed=True)
    if existing is None:
        try:
            _record_grant(session, plan, grant_id, data)
            session.commit()
        except IntegrityError:  # a twin request recorded it at the same moment
            session.rollback()
            if session.get(Grant, grant_id) is None:
                raise
    return _finish_grant(session, grant_id, wallet_grant)


def _record_grant(session: Session, plan: Plan, grant_id: str, data: dict[str, Any]) -> None:
    # the plan as it is now, under a shared lock: a change of its budget or groups
    # (benefits.plans, which locks it for update) waits for this grant, or this for it
    session.refresh(plan, with_for_update={"read": True})
    employee_ids = _grantees(session, plan, data.get("employee_ids"), data["source"])
    if plan.per_employee_budget_cents is not None:
        _within_budget(session, plan, plan.per_employee_budget_cents, employee_ids,
                       data["amount_cents"])
    if data["source"] == "performance_bonus":
        _convert_bonus(session, plan.fiscal_year, employee_ids, data["amount_cents"])
    session.add(Grant(id=grant_id, company_id=plan.company_id, plan_id=plan.id,
                      source=data["source"], amount_cents=data["amount_cents"],
                      employee_count=len(employee_ids), status="pending",
                      employee_ids=employee_ids, created_at=_now(),
                      choice_record=data.get("choice_record")
                      if data["source"] == "performance_bonus" else None))
    session.flush()


def _finish_grant(session: Session, grant_id: str, wallet_grant: Callable[..., dict[str, Any]]
                  ) -> dict[str, Any]:
    """Have the wallet move a pending grant's money (again: it is keyed), then record it."""
    grant = session.get(Grant, grant_id, populate_existing=True)
    assert grant is not None  # recorded (pending) before the wallet is asked
    plan = session.get_one(Plan, grant.plan_id)
    if grant.status == "done":
        return _grant_view(grant, replayed=True)
    employee_ids, amount = list(grant.employee_ids or []), grant.amount_cents
    plan_view = {"id": plan.id, "name": plan.name, "valid_from": plan.valid_from.isoformat(),
                 "valid_until": plan.valid_until.isoformat(), "categories": plan.categories,
                 "leftover_policy": plan.leftover_policy, "version": plan.version or 1}
    event = {"grant_id": grant_id, "plan_id": plan.id, "plan_name": plan.name,
             "valid_until": plan.valid_until.isoformat(), "source": grant.source,
             "amount_cents": amount, "employee_ids": employee_ids,
             "offer_id": grant.offer_id}
    offer_id = grant.offer_id
    session.commit()  # reads only: nothing stays open over the call
    try:
        moved = wallet_grant(grant_id=grant_id, company_id=grant.company_id,
                             idempotency_key=grant_id, plan=plan_view,
                             employee_ids=employee_ids, amount_cents=amount)
    except ServiceUnavailable:
        raise  # the wallet may or may not have moved it: pending, the key finishes it
    except DomainError as exc:
        if offer_id is not None:
            # the employees chose it and the deadline passed: it stays pending, and the
            # offer's timer asks again (HR sees why: a fund short is topped up)
            session.execute(update(Grant).where(Grant.id == grant_id,
                                                Grant.status == "pending")
                            .values(problem=str(exc)[:500]))
        else:
            _forget_grant(session, grant_id)  # refused: nothing moved
        session.commit()
        raise
    grant = session.scalar(select(Grant).where(Grant.id == grant_id).with_for_update()
                           .execution_options(populate_existing=True))
    if grant is None:
        raise refusals.GRANT_REFUSED_MEANWHILE(field="idempotency_key")
    if grant.status == "pending":
        grant.status, grant.employee_ids, grant.problem = "done", None, None
        grant.total_cents, grant.transaction_id = moved["total_cents"], moved["transaction_id"]
        record_event(session, events.CREDITS_GRANTED, event, producer=PRODUCER,
                     company_id=grant.company_id)
    session.commit()
    return {**_grant_view(grant, replayed=False), "employee_ids": employee_ids}


def _forget_grant(session: Session, grant_id: str) -> None:
    """A pending grant the wallet refused: its budget and bonus room back, and gone
    (once, whoever gets here first)."""
    grant = session.scalar(select(Grant).where(Grant.id == grant_id).with_for_update()
                           .execution_options(populate_existing=True))
    if grant is None or grant.status != "pending":
        return
    plan = session.get(Plan, grant.plan_id)
    employee_ids = sorted(grant.employee_ids or [])
    if plan is not None and plan.per_employee_budget_cents is not None:
        session.execute(update(BudgetUse).where(
            BudgetUse.plan_id == plan.id, BudgetUse.employee_id.in_(employee_ids))
            .values(granted_cents=BudgetUse.granted_cents - grant.amount_cents))
    if plan is not None and grant.source == "performance_bonus":
        session.execute(update(BonusConversion).where(
            BonusConversion.year == plan.fiscal_year,
            BonusConversion.employee_id.in_(employee_ids))
            .values(converted_cents=BonusConversion.converted_cents - grant.amount_cents))
    session.delete(grant)


def finish_pending_grants(session: Session, wallet_grant: Callable[..., dict[str, Any]],
                          older_than: timedelta = timedelta(minutes=1)) -> int:
    """Grants left pending (the wallet was not reached, or the process died between
    the call and the record): each finished now, as a retry with its key would."""
    due = list(session.scalars(select(Grant.id).where(
        Grant.status == "pending", Grant.created_at < _now() - older_than)
        .order_by(Grant.created_at).limit(100)))
    session.commit()
    finished = 0
    for grant_id in due:
        try:
            _finish_grant(session, grant_id, wallet_grant)
            finished += 1
        except Exception:  # noqa: BLE001 - refused (and forgotten), or the wallet still away
            session.rollback()
    return finished


def grant_preview(session: Session, *, company_id: str, plan_id: str,
                  data: dict[str, Any]) -> dict[str, Any]:
    """What a grant would do, checked as the grant checks it and writing nothing:
    who would receive it, the total, and each person the plan's budget or the
    performance-bonus rules would refuse (with the room they have left), so HR
    sees the cap and the eligibility before sending."""
    plan = get_plan(session, plan_id, company_id)
    amount, source = data["amount_cents"], data["source"]
    try:
        employee_ids = _grantees(session, plan, data.get("employee_ids"), source)
    except NotFound:
        if data.get("employee_ids"):
            raise
        employee_ids = []  # nobody eligible: the counts below say why
    problems: list[dict[str, Any]] = []
    if plan.per_employee_budget_cents is not None:
        used = dict(session.execute(select(BudgetUse.employee_id, BudgetUse.granted_cents)
                                    .where(BudgetUse.plan_id == plan.id,
                                           BudgetUse.employee_id.in_(employee_ids)))
                    .tuples().all())
        problems += [{"employee_id": e, "reason": "budget", "room_cents": max(
            plan.per_employee_budget_cents - used.get(e, 0), 0)}
            for e in employee_ids if used.get(e, 0) + amount > plan.per_employee_budget_cents]
    rules = fiscal_rules.rules_for(plan.fiscal_year)
    excluded = 0
    if source == "performance_bonus":
        bands = dict(session.execute(select(Employee.id, Employee.income_band).where(
            Employee.id.in_(employee_ids))).tuples().all())
        converted = dict(session.execute(select(
            BonusConversion.employee_id,
            BonusConversion.converted_cents + BonusConversion.cash_cents).where(
            BonusConversion.year == plan.fiscal_year,
            BonusConversion.employee_id.in_(employee_ids))).tuples().all())
        cap = rules.performance_bonus_cap_cents
        for e in employee_ids:
            if bands.get(e) != "up_to_80k":
                problems.append({"employee_id": e, "reason": "income_band", "room_cents": 0})
            elif converted.get(e, 0) + amount > cap:
                problems.append({"employee_id": e, "reason": "bonus_cap",
                                 "room_cents": max(cap - converted.get(e, 0), 0)})
        if not data.get("employee_ids"):
            active = select(func.count()).select_from(Employee).where(
                Employee.company_id == plan.company_id, Employee.status == "active")
            if plan.target_groups:
                active = active.where(Employee.group.in_(plan.target_groups))
            excluded = (session.scalar(active) or 0) - len(employee_ids)
    return {"plan_id": plan.id, "fiscal_year": plan.fiscal_year, "source": source,
            "amount_cents": amount, "employee_count": len(employee_ids),
            "total_cents": amount * len(employee_ids), "employee_ids": employee_ids[:200],
            "excluded_count": excluded, "problem_count": len(problems),
            "problems": problems[:200],
            "per_employee_budget_cents": plan.per_employee_budget_cents,
            "bonus_cap_cents": rules.performance_bonus_cap_cents,
            "bonus_income_max_cents": rules.performance_bonus_income_max_cents}


def _within_budget(session: Session, plan: Plan, budget: int, employee_ids: list[str],
                   amount: int) -> None:
    """A plan's per-employee budget caps what each employee may be granted on it."""
    # Every row exists and is locked (in one order) before it is read: two first
    # grants racing cannot both see nothing used.
    insert_ignore(session, BudgetUse.__table__, [
        {"plan_id": plan.id, "employee_id": e, "granted_cents": 0}
        for e in sorted(employee_ids)])
    used = dict(session.execute(select(BudgetUse.employee_id, BudgetUse.granted_cents).where(
        BudgetUse.plan_id == plan.id, BudgetUse.employee_id.in_(employee_ids))
        .order_by(BudgetUse.employee_id).with_for_update()).tuples().all())
    over = [e for e in employee_ids if used.get(e, 0) + amount > budget]
    if over:
        raise refusals.BUDGET_EXCEEDED(count=len(over), budget_cents=budget,
                                       employee_ids=over[:20],
                                       fields={"employee_ids": over[:20]})
    session.execute(update(BudgetUse).where(
        BudgetUse.plan_id == plan.id, BudgetUse.employee_id.in_(employee_ids))
        .values(granted_cents=BudgetUse.granted_cents + amount))


def check_bonus_conversion(rules: fiscal_rules.FiscalYear, employee_ids: list[str],
                           amount: int, income_bands: dict[str, str | None],
                           converted: dict[str, int]) -> None:
    """A performance bonus converts into welfare credit (L. 208/2015) only for
    employees whose previous-year income was within the year's ceiling, and up to
    the year's cap per employee, counting the year's bonus with the tax relief
    together (`converted`: what each has converted already, and taken in cash at the
    substitute tax). Refuses naming the figures."""
    ineligible = [e for e in employee_ids if income_bands.get(e) != "up_to_80k"]
    if ineligible:
        raise refusals.BONUS_NOT_ELIGIBLE(
            income_max_cents=rules.performance_bonus_income_max_cents,
            employee_ids=ineligible[:20], fields={"employee_ids": ineligible[:20]})
    cap = rules.performance_bonus_cap_cents
    over = [e for e in employee_ids if converted.get(e, 0) + amount > cap]
    if over:
        room = max(min(cap - converted.get(e, 0) for e in over), 0)
        raise refusals.BONUS_CONVERSION_CAPPED(
            year=rules.year, cap_cents=cap, basis=rules.performance_bonus_cap_basis,
            room_cents=room, count=len(over), employee_ids=over[:20],
            problems={"amount_cents": [refusals.AT_MOST_ROOM.said(room_cents=room)]},
            fields={"employee_ids": over[:20]})


def _convert_bonus(session: Session, year: int, employee_ids: list[str], amount: int) -> None:
    """Count a conversion against each employee's cap of the year, under row locks."""
    bands = dict(session.execute(select(Employee.id, Employee.income_band).where(
        Employee.id.in_(employee_ids))).tuples().all())
    # Every row exists and is locked (in one order) before it is read: two first
    # conversions racing cannot both see nothing converted.
    insert_ignore(session, BonusConversion.__table__, [
        {"employee_id": e, "year": year, "converted_cents": 0, "cash_cents": 0}
        for e in sorted(employee_ids)])
    done = dict(session.execute(select(
        BonusConversion.employee_id,
        BonusConversion.converted_cents + BonusConversion.cash_cents).where(
        BonusConversion.year == year, BonusConversion.employee_id.in_(employee_ids))
        .order_by(BonusConversion.employee_id).with_for_update()).tuples().all())
    check_bonus_conversion(fiscal_rules.rules_for(year), employee_ids, amount, bands, done)
    session.execute(update(BonusConversion).where(
        BonusConversion.year == year, BonusConversion.employee_id.in_(employee_ids))
        .values(converted_cents=BonusConversion.converted_cents + amount))


def depart(session: Session, company_id: str, employee_id: str, left_on: date
           ) -> dict[str, Any]:
    """An employee leaves: the wallet returns their unspent credit to the fund."""
    employee = session.scalar(select(Employee).where(Employee.id == employee_id))
    if employee is None or employee.company_id != company_id:
        raise refusals.EMPLOYEE_UNKNOWN(field="employee_id")
    if employee.status == "left":
        raise refusals.EMPLOYEE_ALREADY_LEFT(field="employee_id")
    employee.status, employee.left_on = "left", left_on
    view = employee_view(employee)
    record_event(session, events.EMPLOYEE_LEFT, {**view, "left_on": left_on.isoformat()},
                 producer=PRODUCER, company_id=company_id)
    return view


def _grant_view(g: Grant, replayed: bool) -> dict[str, Any]:
    return {"id": g.id, "plan_id": g.plan_id, "source": g.source,
            "amount_cents": g.amount_cents, "employee_count": g.employee_count,
            "total_cents": g.total_cents, "transaction_id": g.transaction_id,
            "created_at": g.created_at.isoformat(), "replayed": replayed}


def fringe_limit(session: Session, employee_id: str, year: int) -> int:
    """An employee's fringe-benefit limit for a fiscal year
    (docs/fiscal-rules.md#fringe-benefits)."""
    employee = session.scalar(select(Employee).where(Employee.id == employee_id))
    if employee is None:
        raise refusals.EMPLOYEE_UNKNOWN(field="employee_id")
    return fringe_limit_for(employee, year)
