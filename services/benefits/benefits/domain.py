"""Companies, employees, plans and grants, as plain functions over a session."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from wecare_common.errors import Conflict, NotFound
from wecare_common.outbox import record_event

from benefits import fiscal_rules
from benefits.models import Company, Employee, Grant, Plan

PRODUCER = "benefits"
GRANT_NAMESPACE = uuid.UUID("6c1f0a3e-2a8e-4d36-9a53-5d0c3e6b7a21")


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
            "status": e.status, "created_at": e.created_at.isoformat()}


def plan_view(p: Plan) -> dict[str, Any]:
    return {"id": p.id, "company_id": p.company_id, "name": p.name,
            "fiscal_year": p.fiscal_year, "valid_from": p.valid_from.isoformat(),
            "valid_until": p.valid_until.isoformat(), "categories": p.categories,
            "target_groups": p.target_groups, "leftover_policy": p.leftover_policy,
            "created_at": p.created_at.isoformat()}


def create_company(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    if session.scalar(select(Company.id).where(Company.vat_number == data["vat_number"])):
        raise Conflict("a company with this VAT number is already registered",
                       {"vat_number": ["already registered"]})
    hr = data["hr_manager"]
    company = Company(id=str(uuid.uuid4()), name=data["name"], vat_number=data["vat_number"],
                      hr_email=hr["email"], hr_first_name=hr["first_name"],
                      hr_last_name=hr["last_name"], created_at=_now())
    session.add(company)
    session.flush()
    view = company_view(company)
    record_event(session, "company.created", view, producer=PRODUCER, company_id=company.id)
    return view


def get_company(session: Session, company_id: str) -> Company:
    company = session.get(Company, company_id)
    if company is None:
        raise NotFound("no such company", {"company_id": ["unknown"]})
    return company


def fringe_limit_for(employee: Employee, year: int) -> int:
    return fiscal_rules.fringe_limit_cents(year, len(employee.dependent_children or []))


def enroll_employee(session: Session, company_id: str, data: dict[str, Any]
                    ) -> dict[str, Any]:
    get_company(session, company_id)
    duplicate = session.execute(
        select(Employee.fiscal_code, Employee.email).where(
            Employee.company_id == company_id,
            (Employee.fiscal_code == data["fiscal_code"]) | (Employee.email == data["email"]))
    ).first()
    if duplicate:
        field = "fiscal_code" if duplicate.fiscal_code == data["fiscal_code"] else "email"
        raise Conflict(f"an employee with this {field} is already enrolled",
                       {field: ["already enrolled"]})
    employee = Employee(id=str(uuid.uuid4()), company_id=company_id, status="active",
                        created_at=_now(), **data)
    session.add(employee)
    session.flush()
    view = employee_view(employee)
    year = date.today().year
    record_event(session, "employee.enrolled", {
        **view, "fiscal_year": year, "fringe_limit_cents": fringe_limit_for(employee, year),
    }, producer=PRODUCER, company_id=company_id)
    return view


def list_employees(session: Session, company_id: str, limit: int, cursor: str | None
                   ) -> dict[str, Any]:
    get_company(session, company_id)
    query = select(Employee).where(Employee.company_id == company_id).order_by(
        Employee.seq).limit(limit + 1)
    if cursor:
        query = query.where(Employee.seq > int(cursor))
    rows = session.scalars(query).all()
    return {"items": [employee_view(e) for e in rows[:limit]],
            "next_cursor": str(rows[limit - 1].seq) if len(rows) > limit else None}


def create_plan(session: Session, company_id: str, data: dict[str, Any]) -> dict[str, Any]:
    get_company(session, company_id)
    plan = Plan(id=str(uuid.uuid4()), company_id=company_id, created_at=_now(), **data)
    session.add(plan)
    session.flush()
    view = plan_view(plan)
    record_event(session, "plan.created", view, producer=PRODUCER, company_id=company_id)
    return view


def get_plan(session: Session, plan_id: str, company_id: str | None = None) -> Plan:
    plan = session.get(Plan, plan_id)
    if plan is None or (company_id is not None and plan.company_id != company_id):
        raise NotFound("no such plan", {"plan_id": ["unknown"]})
    return plan


def _grantees(session: Session, plan: Plan, employee_ids: list[str] | None) -> list[str]:
    query = select(Employee.id).where(Employee.company_id == plan.company_id,
                                      Employee.status == "active")
    if employee_ids:
        found = set(session.scalars(query.where(Employee.id.in_(employee_ids))).all())
        unknown = [e for e in employee_ids if e not in found]
        if unknown:
            raise NotFound(f"{len(unknown)} employee(s) not found in this company",
                           {"employee_ids": unknown[:20]})
        return list(employee_ids)
    if plan.target_groups:
        query = query.where(Employee.group.in_(plan.target_groups))
    ids = list(session.scalars(query.order_by(Employee.seq)).all())
    if not ids:
        raise NotFound("no eligible employees in this plan", {"all": ["nobody to grant to"]})
    return ids


def grant_credits(session: Session, *, company_id: str, plan_id: str, data: dict[str, Any],
                  idempotency_key: str, wallet_grant: Callable[..., dict[str, Any]]
                  ) -> dict[str, Any]:
    """Grant `amount_cents` to each listed (or every eligible) employee: the
    wallet moves the money in one transaction; the grant is recorded and
    `credits.granted` published in this service's transaction."""
    plan = get_plan(session, plan_id, company_id)
    grant_id = str(uuid.uuid5(GRANT_NAMESPACE, f"{company_id}:{idempotency_key}"))
    existing = session.get(Grant, grant_id)
    if existing is not None:
        return _grant_view(existing, replayed=True)
    employee_ids = _grantees(session, plan, data.get("employee_ids"))
    moved = wallet_grant(
        grant_id=grant_id, company_id=company_id, idempotency_key=grant_id,
        plan={"id": plan.id, "name": plan.name, "valid_from": plan.valid_from.isoformat(),
              "valid_until": plan.valid_until.isoformat(), "categories": plan.categories,
              "leftover_policy": plan.leftover_policy},
        employee_ids=employee_ids, amount_cents=data["amount_cents"],
    )
    grant = Grant(id=grant_id, company_id=company_id, plan_id=plan.id, source=data["source"],
                  amount_cents=data["amount_cents"], employee_count=len(employee_ids),
                  total_cents=moved["total_cents"], transaction_id=moved["transaction_id"],
                  created_at=_now())
    session.add(grant)
    session.flush()
    record_event(session, "credits.granted", {
        "grant_id": grant_id, "plan_id": plan.id, "plan_name": plan.name,
        "valid_until": plan.valid_until.isoformat(), "source": data["source"],
        "amount_cents": data["amount_cents"], "employee_ids": employee_ids,
    }, producer=PRODUCER, company_id=company_id)
    return _grant_view(grant, replayed=False)


def _grant_view(g: Grant, replayed: bool) -> dict[str, Any]:
    return {"id": g.id, "plan_id": g.plan_id, "source": g.source,
            "amount_cents": g.amount_cents, "employee_count": g.employee_count,
            "total_cents": g.total_cents, "transaction_id": g.transaction_id,
            "created_at": g.created_at.isoformat(), "replayed": replayed}


def fringe_limit(session: Session, employee_id: str, year: int) -> int:
    """An employee's fringe-benefit limit for a fiscal year (DESIGN §2)."""
    employee = session.scalar(select(Employee).where(Employee.id == employee_id))
    if employee is None:
        raise NotFound("no such employee", {"employee_id": ["unknown"]})
    return fringe_limit_for(employee, year)
