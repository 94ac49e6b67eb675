"""Changing a plan while it runs: only what keeps every promise already made.

A plan is a promise to employees (what they may spend their credit on, until
when) and a rule for HR's grants (to whom, up to how much). So, while a plan is
open (it has not ended: `valid_until` is today or later):

- `name`: any.
- `valid_until`: later, or earlier but never before today nor before
  `valid_from`; once credit has been granted on the plan, never earlier than
  14 days from today, so that every employee holding credit hears of the new end
  (the wallet tells them 14 and 3 days before). Vouchers already bought keep
  their own expiry.
- `categories`: only added. Removing one would take away what employees were
  promised (and vouchers may have been bought in it).
- `target_groups`: any; they decide who the plan's next grants "to everyone" reach
  (credit already granted stays where it is). `null` or `[]`: every employee.
- `per_employee_budget_cents`: raised, lifted (`null`), or lowered but not below
  what one employee was already granted on the plan; a plan without a budget
  gets one only before its first grant (what each was granted is counted from then).
- `leftover_policy`: either, until the plan ends (the wallet applies it then).
- `fiscal_year` and `valid_from` never change: the year's fiscal rules and the bonus
  conversions were counted with them.

An ended plan does not change. Each change raises the plan's `version` and
publishes `plan.changed` (the plan as it is now, and which fields changed): the
wallet keeps the newest version of its copy, whatever order copies arrive in.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from wecare_common.contract import events, periods, refusals
from wecare_common.outbox import record_event

from benefits.domain import PRODUCER, get_plan, plan_view
from benefits.models import BudgetUse, Grant, Plan

CHANGEABLE = ("name", "valid_until", "categories", "target_groups",
              "per_employee_budget_cents", "leftover_policy")
NOTICE_DAYS = 14  # the wallet's first notice before a plan ends


def check_changes(plan: dict[str, Any], changes: dict[str, Any], *, today: date,
                  granted: bool, most_granted_cents: int) -> dict[str, list[refusals.Said]]:
    """What is wrong with `changes` to `plan` (its view), field by field; empty when
    nothing is. `granted`: credit was granted on the plan; `most_granted_cents`:
    the most one employee was granted on it (counted only while it has a budget)."""
    problems: dict[str, list[refusals.Said]] = {}
    if "valid_until" in changes:
        until = changes["valid_until"]
        current = date.fromisoformat(plan["valid_until"])
        earliest = today + timedelta(days=NOTICE_DAYS)
        if out_of_order := periods.out_of_order(plan["valid_from"], until):
            problems["valid_until"] = [out_of_order]
        elif until < today:
            problems["valid_until"] = [refusals.END_BEFORE_TODAY.said()]
        elif granted and until < current and until < earliest:
            problems["valid_until"] = [refusals.END_TOO_SOON.said(
                earliest=min(earliest, current), notice_days=NOTICE_DAYS)]
    if "categories" in changes:
        kept = [c for c in plan["categories"] if c not in changes["categories"]]
        if kept:
            problems["categories"] = [refusals.CATEGORIES_ONLY_ADDED.said(kept=kept)]
    if "per_employee_budget_cents" in changes and changes["per_employee_budget_cents"]:
        budget = changes["per_employee_budget_cents"]
        if plan["per_employee_budget_cents"] is None and granted:
            problems["per_employee_budget_cents"] = [
                refusals.BUDGET_ONLY_BEFORE_FIRST_GRANT.said()]
        elif budget < most_granted_cents:
            problems["per_employee_budget_cents"] = [
                refusals.BUDGET_BELOW_GRANTED.said(granted_cents=most_granted_cents)]
    return problems


def _normalised(changes: dict[str, Any]) -> dict[str, Any]:
    out = dict(changes)
    if "target_groups" in out:
        groups = sorted({g.strip() for g in (out["target_groups"] or []) if g.strip()})
        out["target_groups"] = groups or None
    if "categories" in out:
        out["categories"] = list(dict.fromkeys(out["categories"]))
    return out


def change_plan(session: Session, company_id: str, plan_id: str, changes: dict[str, Any],
                today: date | None = None) -> dict[str, Any]:
    """Apply `changes` (validated fields of CHANGEABLE) to the company's plan, or
    refuse naming each field's problem. The plan's row is locked: a grant recording
    at the same moment waits (it reads the plan's budget under a shared lock)."""
    today = today or date.today()
    unknown = sorted(set(changes) - set(CHANGEABLE))
    if unknown:
        raise refusals.VALIDATION_ERROR(problems=dict.fromkeys(
            unknown, [refusals.NOT_CHANGEABLE.said()]))
    if not changes:
        raise refusals.NOTHING_TO_CHANGE(field="_body")
    get_plan(session, plan_id, company_id)  # not found, or another company's
    plan = session.scalar(select(Plan).where(Plan.id == plan_id).with_for_update()
                          .execution_options(populate_existing=True))
    assert plan is not None
    view = plan_view(plan)
    if plan.valid_until < today:
        raise refusals.PLAN_ENDED(valid_until=plan.valid_until, field="valid_until")
    changes = _normalised(changes)
    if "categories" in changes:
        # what is asked, plus what the plan has, in the fiscal table's order
        changes["categories"] = list(dict.fromkeys([*plan.categories, *changes["categories"]])
                                     ) if set(plan.categories) <= set(changes["categories"]) \
            else changes["categories"]
    granted = session.scalar(select(func.count()).select_from(Grant)
                             .where(Grant.plan_id == plan.id)) or 0
    most = session.scalar(select(func.max(BudgetUse.granted_cents))
                          .where(BudgetUse.plan_id == plan.id)) or 0
    problems = check_changes(view, changes, today=today, granted=granted > 0,
                             most_granted_cents=most)
    if problems:
        raise refusals.PLAN_CHANGE_REFUSED(problems=problems)
    changed = [name for name in CHANGEABLE if name in changes
               and _comparable(view[name]) != _comparable(changes[name])]
    if not changed:
        return view
    for name in changed:
        setattr(plan, name, changes[name])
    plan.version = (plan.version or 1) + 1
    session.flush()
    view = plan_view(plan)
    record_event(session, events.PLAN_CHANGED, {**view, "changed": changed}, producer=PRODUCER,
                 company_id=company_id)
    return view


def _comparable(value: Any) -> Any:
    if isinstance(value, date):
        return value.isoformat()
    if isinstance(value, list):
        return sorted(value)
    return value
