"""The payroll report (docs/domain.md#payroll-report): per employee and category, what was exempt,
what was fringe within the limit, and what is taxable income; and each employee's
performance bonus of the year, its cash part with the substitute tax."""

from __future__ import annotations

from collections import defaultdict
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from wecare_common.spreadsheet import write_csv

from benefits import fiscal_rules, offers
from benefits.domain import fringe_limit_for, get_company
from benefits.models import Employee

COLUMNS = ("employee_id", "fiscal_code", "last_name", "first_name", "category",
           "used_cents", "exempt_cents", "fringe_within_limit_cents", "taxable_cents",
           "substitute_tax_base_cents", "substitute_tax_cents")
# a bonus's cash part, in the CSV: used = paid, taxable = taxed at ordinary rates
BONUS_CASH = "performance_bonus_cash"
BONUS_COLUMNS = ("cash_cents", "contributions_cents", "at_substitute_tax_cents",
                 "substitute_tax_base_cents", "substitute_tax_cents", "ordinary_cents",
                 "granted_welfare_cents")


def fiscal_report(session: Session, company_id: str, year: int,
                  usage: list[dict[str, Any]]) -> dict[str, Any]:
    """`usage`: the wallet's [{employee_id, category, amount_cents}] for the year."""
    get_company(session, company_id)
    rules = fiscal_rules.rules_for(year)
    by_employee: dict[str, dict[str, int]] = defaultdict(dict)
    for u in usage:
        by_employee[u["employee_id"]][u["category"]] = u["amount_cents"]
    people = {e.id: e for e in session.scalars(select(Employee).where(
        Employee.company_id == company_id, Employee.id.in_(list(by_employee))))}
    rows: list[dict[str, Any]] = []
    for employee_id in sorted(by_employee, key=lambda e: (
            people[e].last_name, people[e].first_name) if e in people else ("", e)):
        person = people.get(employee_id)
        for category, used in sorted(by_employee[employee_id].items()):
            rule = rules.categories[category]
            exempt = within = taxable = 0
            if category == "fringe":
                limit = fringe_limit_for(person, year) if person else rules.fringe_limit_cents
                # Past the limit by one cent, the whole year's fringe is taxable.
                within, taxable = (used, 0) if used <= limit else (0, used)
            elif rule.yearly_limit_cents is not None:
                exempt = min(used, rule.yearly_limit_cents)
                taxable = used - exempt
            else:
                exempt = used
            rows.append({"employee_id": employee_id,
                         "fiscal_code": person.fiscal_code if person else "",
                         "last_name": person.last_name if person else "",
                         "first_name": person.first_name if person else "",
                         "category": category, "used_cents": used, "exempt_cents": exempt,
                         "fringe_within_limit_cents": within, "taxable_cents": taxable})
    totals = {k: sum(r[k] for r in rows) for k in COLUMNS[5:9]}
    bonuses = offers.paid_in(session, company_id, year)
    return {"company_id": company_id, "year": year, "rows": rows, "totals": totals,
            "substitute_tax_bps": rules.performance_bonus_substitute_tax_bps,
            "bonuses": bonuses,
            "bonus_totals": {k: sum(b[k] or 0 for b in bonuses) for k in BONUS_COLUMNS}}


def as_csv(report: dict[str, Any]) -> str:
    """Semicolon-separated, as Italian payroll software imports it; names a spreadsheet
    would take for formulas neutralised (wecare_common.spreadsheet)."""
    bonus_rows = [{"employee_id": b["employee_id"], "fiscal_code": b["fiscal_code"],
                   "last_name": b["last_name"], "first_name": b["first_name"],
                   "category": BONUS_CASH, "used_cents": b["cash_cents"], "exempt_cents": 0,
                   "fringe_within_limit_cents": 0, "taxable_cents": b["ordinary_cents"],
                   "substitute_tax_base_cents": b["substitute_tax_base_cents"],
                   "substitute_tax_cents": b["substitute_tax_cents"]}
                  for b in report.get("bonuses", []) if b["cash_cents"]]
    rows = [*report["rows"], *bonus_rows]
    totals = {k: sum(r.get(k) or 0 for r in rows) for k in COLUMNS[5:]}
    return write_csv(COLUMNS, [*rows, {"employee_id": "TOTAL", **totals}])
