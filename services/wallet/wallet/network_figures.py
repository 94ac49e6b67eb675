"""What a network may see of its members' welfare, from the ledger
(docs/domain.md#what-a-network-sees): totals only, every table through
`small_cells.table` (no figure about fewer than five people), and only what happened
while each firm was a member (`periods`, given by benefits, which owns membership):
a firm's data before it joined, or after it left, is not counted.

- granted: credit moved from a member's fund to its employees (`grant` transactions);
- spent: vouchers bought and kept (issued or redeemed) and reimbursements paid;
- a person is counted in a cell when they were granted or spent something in it."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from wallet import ledger
from wallet.models import (
    SPENT,
    Account,
    LedgerTransaction,
    Plan,
    Posting,
    Provider,
    ReimbursementHold,
    Voucher,
)
from wallet.small_cells import Cell, table

MONEY = ("granted_cents", "spent_cents")
SEVERAL = "several"  # granted on a plan covering several categories


def _grants(session: Session, company_id: str, start: datetime, end: datetime
            ) -> Iterable[tuple[str, str, int, int]]:
    """(employee, plan, month, cents) credited by grants to the firm's employees (an
    employee's credit account always names its owner and plan)."""
    month = func.extract("month", LedgerTransaction.created_at)
    rows = session.execute(
        select(Account.owner_id, Account.plan_id, month, func.sum(Posting.amount_cents))
        .join(Posting, Posting.account_id == Account.id)
        .join(LedgerTransaction, LedgerTransaction.id == Posting.transaction_id)
        .where(Account.company_id == company_id, Account.kind == "employee",
               LedgerTransaction.kind == "grant", LedgerTransaction.created_at >= start,
               LedgerTransaction.created_at < end)
        .group_by(Account.owner_id, Account.plan_id, month)).tuples().all()
    return [(str(owner), str(plan), int(m), int(cents)) for owner, plan, m, cents in rows]


def _vouchers(session: Session, company_id: str, start: datetime, end: datetime
              ) -> Iterable[tuple[str, str, str, str, int, int]]:
    """(employee, plan, category, provider, month, cents) of vouchers bought and kept."""
    month = func.extract("month", Voucher.created_at)
    return session.execute(
        select(Voucher.employee_id, Voucher.plan_id, Voucher.category, Voucher.provider_id,
               month, func.sum(Voucher.amount_cents))
        .where(Voucher.company_id == company_id, Voucher.status.in_(SPENT),
               Voucher.created_at >= start, Voucher.created_at < end)
        .group_by(Voucher.employee_id, Voucher.plan_id, Voucher.category,
                  Voucher.provider_id, month)).tuples().all()


def _reimbursed(session: Session, company_id: str, start: datetime, end: datetime
                ) -> Iterable[tuple[str, str, str, int, int]]:
    """(employee, plan, category, month, cents) of reimbursements paid."""
    month = func.extract("month", ReimbursementHold.created_at)
    return session.execute(
        select(ReimbursementHold.employee_id, ReimbursementHold.plan_id,
               ReimbursementHold.category, month, func.sum(ReimbursementHold.amount_cents))
        .where(ReimbursementHold.company_id == company_id,
               ReimbursementHold.status == "paid", ReimbursementHold.created_at >= start,
               ReimbursementHold.created_at < end)
        .group_by(ReimbursementHold.employee_id, ReimbursementHold.plan_id,
                  ReimbursementHold.category, month)).tuples().all()


def _moment(value: datetime | str) -> datetime:
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


class _Tables:
    def __init__(self) -> None:
        self.total = Cell("total")
        self.covered: set[str] = set()
        self.tables: dict[str, dict[str, Cell]] = defaultdict(dict)

    def cell(self, table_name: str, key: str) -> Cell:
        cells = self.tables[table_name]
        if key not in cells:
            cells[key] = Cell(key)
        return cells[key]


def network_figures(session: Session, periods: list[dict[str, Any]], year: int,
                    shared_plans: list[dict[str, Any]]) -> dict[str, Any]:
    """The network's tables for `year`: `periods` are the members' times in the network
    within the year (company_id, name, municipality, current, joined_at, left_at);
    `shared_plans` the members' plans adopting the network's shared plans."""
    t = _Tables()
    categories: dict[str, list[str]] = {}
    template_of = {p["plan_id"]: p["template_id"] for p in shared_plans}
    firms = {p["company_id"] for p in periods}
    current = {p["company_id"] for p in periods if p.get("current")}

    def plan_categories(plan_id: str) -> list[str]:
        if plan_id not in categories:
            plan = session.get(Plan, plan_id)
            categories[plan_id] = list(plan.categories) if plan else []
        return categories[plan_id]

    def count(person: str, member: dict[str, Any], month: int, plan_id: str,
              category: str | None, provider_id: str | None, **cents: int) -> None:
        t.total.add(person, **cents)
        cells = [t.cell("by_month", f"{month:02d}"),
                 t.cell("by_municipality", member["municipality"]),
                 t.cell("by_member", member["company_id"])]
        if category is not None:
            cells.append(t.cell("by_category", category))
        if provider_id is not None:
            cells.append(t.cell("by_provider", provider_id))
        if plan_id in template_of:
            cells.append(t.cell("by_shared_plan", template_of[plan_id]))
        for cell in cells:
            cell.add(person, **cents)
        t.cell("by_municipality", member["municipality"]).count("firms", member["company_id"])

    for member in periods:
        start, end = _moment(member["joined_at"]), _moment(member["left_at"])
        if end <= start:
            continue
        for person, plan_id, month, cents in _grants(session, member["company_id"], start,
                                                      end):
            t.covered.add(person)
            kinds = plan_categories(plan_id)
            count(person, member, int(month), plan_id,
                  kinds[0] if len(kinds) == 1 else SEVERAL, None, granted_cents=int(cents))
        for person, plan_id, category, provider_id, month, cents in _vouchers(
                session, member["company_id"], start, end):
            count(person, member, int(month), plan_id, category, provider_id,
                  spent_cents=int(cents))
        for person, plan_id, category, month, cents in _reimbursed(
                session, member["company_id"], start, end):
            count(person, member, int(month), plan_id, category, None,
                  spent_cents=int(cents))

    names = {p["company_id"]: p["name"] for p in periods}
    providers = dict(session.execute(select(Provider.id, Provider.name).where(
        Provider.id.in_(list(t.tables["by_provider"])))).tuples().all())
    totals = table([t.total], MONEY)
    result: dict[str, Any] = {
        "year": year, "firms": len(firms), "current_firms": len(current),
        "employees_covered": len(t.covered),
        "fund_cents": sum(ledger.balance(session, ledger.fund_account(c)) for c in current),
        "totals": totals["total"], "withheld": totals["withheld"]}
    labels = {"by_member": names, "by_provider": providers}
    for name in ("by_category", "by_month", "by_municipality", "by_member", "by_provider",
                 "by_shared_plan"):
        cells = sorted(t.tables[name].values(), key=lambda c: c.key)
        shaped = table(cells, MONEY)
        for row in shaped["rows"]:
            row["label"] = labels.get(name, {}).get(row["key"], row["key"])
        result[name] = shaped
    return result
