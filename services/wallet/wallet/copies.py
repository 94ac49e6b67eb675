"""The wallet's copies of other services' data, kept from their events
(docs/architecture.md#rules-of-the-house: a service never reads another's tables)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session
from wecare_common.db import aware

from wallet.models import (
    Agreement,
    Employee,
    FringeUsage,
    NetworkMember,
    Offering,
    Plan,
    Provider,
)


def _newer(copy: Any, as_of: datetime) -> bool:
    """Events may arrive out of order: keep the copy of the latest one."""
    return copy.as_of is None or aware(copy.as_of) <= as_of



def keep_provider(session: Session, p: dict[str, Any], as_of: datetime) -> None:
    provider = session.get(Provider, p["id"]) or Provider(id=p["id"])
    if not _newer(provider, as_of):
        return
    provider.as_of = as_of
    provider.name = p["name"]
    provider.status = p["status"]
    provider.commission_bps = p.get("commission_bps") or 0
    provider.iban = p.get("iban")
    provider.stripe_account_id = p.get("stripe_account_id")
    session.merge(provider)


def keep_offering(session: Session, o: dict[str, Any], active: bool, as_of: datetime) -> None:
    offering = session.get(Offering, o["id"]) or Offering(id=o["id"])
    if not _newer(offering, as_of):
        return
    offering.as_of = as_of
    offering.provider_id = o["provider_id"]
    offering.title = o["title"]
    offering.category = o["category"]
    offering.price_cents = o["price_cents"]
    offering.active = active
    session.merge(offering)


def keep_plan(session: Session, p: dict[str, Any]) -> Plan:
    """The plan as `p` has it, unless the copy holds a newer version (plans change,
    and `plan.created`, `plan.changed` and grants bring copies in any order)."""
    plan = session.get(Plan, p["id"])
    if plan is None:
        plan = Plan(id=p["id"], company_id=p["company_id"])
        session.add(plan)
    version = p.get("version")
    if version is not None and plan.version is not None and version < plan.version:
        return plan
    if version is not None:
        plan.version = version
    plan.name = p["name"]
    plan.valid_from = _day(p["valid_from"])
    plan.valid_until = _day(p["valid_until"])
    plan.categories = list(p["categories"])
    if p.get("leftover_policy"):
        plan.leftover_policy = p["leftover_policy"]
    return plan


def keep_employee(session: Session, e: dict[str, Any]) -> None:
    employee = session.get(Employee, e["id"]) or Employee(id=e["id"])
    employee.company_id = e["company_id"]
    employee.dependent_children = len(e.get("dependent_children") or [])
    session.merge(employee)
    if e.get("fiscal_year") and e.get("fringe_limit_cents") is not None:
        usage = session.get(FringeUsage, (e["id"], e["fiscal_year"]))
        if usage is None:
            session.add(FringeUsage(employee_id=e["id"], year=e["fiscal_year"],
                                    limit_cents=e["fringe_limit_cents"], used_cents=0))
        else:
            usage.limit_cents = e["fringe_limit_cents"]


def keep_network_member(session: Session, m: dict[str, Any], joined: bool,
                        as_of: datetime) -> None:
    """Which network the company is in now: the network on joining, none on leaving
    (an older event, e.g. leaving network A arriving after joining network B, changes
    nothing)."""
    member = session.get(NetworkMember, m["company_id"]) or NetworkMember(
        company_id=m["company_id"])
    if not _newer(member, as_of):
        return
    member.as_of = as_of
    member.network_id = m["network_id"] if joined else None
    session.merge(member)


def keep_agreement(session: Session, a: dict[str, Any], active: bool, as_of: datetime) -> None:
    agreement = session.get(Agreement, a["id"]) or Agreement(id=a["id"])
    if not _newer(agreement, as_of):
        return
    agreement.as_of = as_of
    agreement.network_id = a["network_id"]
    agreement.offering_id = a["offering_id"]
    agreement.price_cents = a.get("price_cents")
    agreement.discount_bps = a.get("discount_bps")
    agreement.valid_from = _day(a["valid_from"]) if a.get("valid_from") else None
    agreement.valid_until = _day(a["valid_until"]) if a.get("valid_until") else None
    agreement.active = active
    session.merge(agreement)


def _day(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)
