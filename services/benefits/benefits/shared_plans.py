"""Shared plans (docs/domain.md#shared-plans): a network's plan template that each
member adopts with one action, as a plan of its own.

The adopted plan is an ordinary plan of the member (`Plan`, with `template_id`): its
credit is granted from the member's own fund and held in the member's employees'
own accounts, so no employee can spend another firm's money (ledger accounts are per
employee and plan, and a plan is one company's). The template's amount per employee
becomes the adopted plan's per-employee budget."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from wecare_common.contract import refusals

from benefits import domain, networks
from benefits.models import Company, Plan, SharedPlan


def shared_plan_view(t: SharedPlan) -> dict[str, Any]:
    return {"id": t.id, "network_id": t.network_id, "name": t.name,
            "description": t.description, "fiscal_year": t.fiscal_year,
            "valid_from": t.valid_from.isoformat(), "valid_until": t.valid_until.isoformat(),
            "categories": list(t.categories), "leftover_policy": t.leftover_policy,
            "amount_per_employee_cents": t.amount_per_employee_cents, "status": t.status,
            "created_at": t.created_at.isoformat()}


def propose(session: Session, network_id: str, data: dict[str, Any]) -> dict[str, Any]:
    networks.get_network(session, network_id)
    template = SharedPlan(id=str(uuid.uuid4()), network_id=network_id,
                          status="proposed", created_at=datetime.now(UTC), **data)
    session.add(template)
    session.flush()
    return {**shared_plan_view(template), "adopted_by": []}


def _get(session: Session, template_id: str, network_id: str) -> SharedPlan:
    template = session.scalar(select(SharedPlan).where(SharedPlan.id == template_id))
    if template is None or template.network_id != network_id:
        raise refusals.NOT_FOUND(field="template_id")
    return template


def of_network(session: Session, network_id: str) -> dict[str, Any]:
    """The network's shared plans, newest first, each with the member firms that
    adopted it (a firm's act, not a person's: named)."""
    networks.get_network(session, network_id)
    templates = session.scalars(select(SharedPlan).where(SharedPlan.network_id == network_id)
                                .order_by(SharedPlan.seq.desc())).all()
    adopted: dict[str, list[dict[str, Any]]] = {t.id: [] for t in templates}
    for plan, company in session.execute(
            select(Plan, Company).join(Company, Company.id == Plan.company_id)
            .where(Plan.template_id.in_(list(adopted)))
            .order_by(Plan.created_at)).tuples():
        adopted[str(plan.template_id)].append({
            "company_id": company.id, "company_name": company.name, "plan_id": plan.id,
            "adopted_at": plan.created_at.isoformat()})
    return {"items": [{**shared_plan_view(t), "adopted_by": adopted[t.id]}
                      for t in templates], "next_cursor": None}


def withdraw(session: Session, network_id: str, template_id: str) -> dict[str, Any]:
    """No further member may adopt it; the plans adopted already stay their firms'."""
    template = _get(session, template_id, network_id)
    if template.status == "withdrawn":
        raise refusals.SHARED_PLAN_WITHDRAWN(field="template_id")
    template.status = "withdrawn"
    return shared_plan_view(template)


def for_company(session: Session, company_id: str) -> dict[str, Any]:
    """The shared plans of the firm's network (none outside a network), each with the
    firm's own plan that adopted it, if it did."""
    domain.get_company(session, company_id)
    network = networks.network_of(session, company_id)
    mine = dict(session.execute(select(Plan.template_id, Plan.id).where(
        Plan.company_id == company_id, Plan.template_id.is_not(None))).tuples().all())
    if network is None:
        return {"network": None, "items": [], "next_cursor": None}
    templates = session.scalars(select(SharedPlan).where(
        SharedPlan.network_id == network.id,
        (SharedPlan.status == "proposed") | SharedPlan.id.in_(list(mine)))
        .order_by(SharedPlan.seq.desc())).all()
    return {"network": networks.public_view(network), "next_cursor": None,
            "items": [{**shared_plan_view(t), "plan_id": mine.get(t.id)} for t in templates]}


def adopt(session: Session, company_id: str, template_id: str) -> dict[str, Any]:
    """The member's one action: its own plan, made from the template (refused outside
    the template's network, once withdrawn, or a second time)."""
    template = session.scalar(select(SharedPlan).where(SharedPlan.id == template_id))
    network = networks.network_of(session, company_id)
    if template is None or network is None or template.network_id != network.id:
        raise refusals.NOT_FOUND(field="template_id")
    if template.status != "proposed":
        raise refusals.SHARED_PLAN_WITHDRAWN(field="template_id")
    if session.scalar(select(func.count()).select_from(Plan).where(
            Plan.company_id == company_id, Plan.template_id == template_id)):
        raise refusals.SHARED_PLAN_ADOPTED(field="template_id")
    plan_data = {"name": template.name, "fiscal_year": template.fiscal_year,
                 "valid_from": template.valid_from, "valid_until": template.valid_until,
                 "categories": list(template.categories),
                 "leftover_policy": template.leftover_policy, "target_groups": None,
                 "per_employee_budget_cents": template.amount_per_employee_cents}
    try:
        with session.begin_nested():
            view = domain.create_plan(session, company_id, plan_data,
                                      template_id=template.id)
    except IntegrityError as exc:  # a twin adoption at the same moment
        raise refusals.SHARED_PLAN_ADOPTED(field="template_id") from exc
    return view


def adopted_plans(session: Session, network_id: str) -> list[dict[str, Any]]:
    """Every plan adopting one of the network's shared plans: (plan, template, firm)."""
    return [{"plan_id": p, "template_id": t, "company_id": c} for p, t, c in session.execute(
        select(Plan.id, Plan.template_id, Plan.company_id)
        .join(SharedPlan, SharedPlan.id == Plan.template_id)
        .where(SharedPlan.network_id == network_id)).tuples()]

