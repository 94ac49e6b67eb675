"""What salary-equivalent estimates assume for a company's people, and the estimate
for one employee (docs/fiscal-rules.md#estimates). The income an employee states is
theirs: it is never stored here; the gateway passes it with each question."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from wecare_common import clock
from wecare_common.contract import refusals

from benefits import fiscal_rules, worth
from benefits.domain import fringe_limit_for, get_company
from benefits.models import BonusChoice, BonusConversion, BonusOffer, Company, Employee


def settings_view(company: Company) -> dict[str, Any]:
    """The company's figures, each with whether it is the published default."""
    inps, surcharges = fiscal_rules.INPS_EMPLOYEE_DEFAULT, fiscal_rules.SURCHARGES_DEFAULT
    band = company.estimate_band or fiscal_rules.DEFAULT_ESTIMATE_BAND
    return {"company_id": company.id,
            "inps_employee_bps": company.inps_employee_bps if company.inps_employee_bps
            is not None else inps[0],
            "inps_employee_default": company.inps_employee_bps is None,
            "inps_employee_basis": inps[1],
            "surcharges_bps": company.surcharges_bps if company.surcharges_bps
            is not None else surcharges[0],
            "surcharges_default": company.surcharges_bps is None,
            "surcharges_basis": surcharges[1],
            "band": band, "band_default": company.estimate_band is None,
            "band_income_cents": fiscal_rules.ESTIMATE_BANDS[band]}


def estimate_settings(session: Session, company_id: str) -> dict[str, Any]:
    return settings_view(get_company(session, company_id))


def change_estimate_settings(session: Session, company_id: str, data: dict[str, Any]
                             ) -> dict[str, Any]:
    """Set the company's figures (null: back to the default)."""
    company = get_company(session, company_id)
    company.inps_employee_bps = data["inps_employee_bps"]
    company.surcharges_bps = data["surcharges_bps"]
    company.estimate_band = data["band"]
    session.flush()
    return settings_view(company)


def estimate_for(company: Company, income_cents: int | None) -> worth.Estimate:
    """The employee's own income when they gave it, else the company's band."""
    view = settings_view(company)
    if income_cents is not None:
        return worth.Estimate(income_cents=income_cents, source="employee",
                              inps_bps=view["inps_employee_bps"],
                              surcharges_bps=view["surcharges_bps"])
    return worth.Estimate(income_cents=view["band_income_cents"], source="company_band",
                          band=view["band"], inps_bps=view["inps_employee_bps"],
                          surcharges_bps=view["surcharges_bps"])


def estimate_view(rules: fiscal_rules.FiscalYear, estimate: worth.Estimate) -> dict[str, Any]:
    """What a figure assumed, said with it."""
    return {"year": rules.year, "source": estimate.source, "band": estimate.band,
            "income_cents": estimate.income_cents, "inps_employee_bps": estimate.inps_bps,
            "surcharges_bps": estimate.surcharges_bps,
            "marginal_irpef_bps": worth.marginal_irpef_bps(rules, estimate.taxable_cents)}


def company_of(session: Session, employee_id: str) -> tuple[Employee, Company]:
    employee = session.scalar(select(Employee).where(Employee.id == employee_id))
    if employee is None:
        raise refusals.EMPLOYEE_UNKNOWN(field="employee_id")
    return employee, get_company(session, employee.company_id)


def worth_for(session: Session, employee_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """What `amount_cents` of credit is worth to this employee in salary terms, and, for
    a category, how the law treats spending it there."""
    _, company = company_of(session, employee_id)
    rules = fiscal_rules.rules_for(data["year"] or clock.today().year)
    estimate = estimate_for(company, data["income_cents"])
    result = {**worth.welfare_worth(rules, estimate, data["amount_cents"]),
              "estimate": estimate_view(rules, estimate), "category": data["category"],
              "treatment": None}
    if data["category"]:
        result["treatment"] = worth.treatment(rules, data["category"], data["amount_cents"],
                                              data["fringe_room_cents"])
    return result


def summary(session: Session, employee_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """An employee's year in salary terms: the credit granted (and what it is worth),
    the performance bonus converted or taken in cash, what was used in each category and
    how the law treats it. `data`: the wallet's side of the year (received, used)."""
    employee, company = company_of(session, employee_id)
    year = data["year"]
    rules = fiscal_rules.rules_for(year)
    estimate = estimate_for(company, data["income_cents"])
    counter = session.get(BonusConversion, (employee_id, year))
    bonuses = session.execute(select(BonusChoice, BonusOffer).join(
        BonusOffer, BonusOffer.id == BonusChoice.offer_id).where(
        BonusChoice.employee_id == employee_id, BonusOffer.fiscal_year == year,
        BonusOffer.status != "open").order_by(BonusOffer.deadline)).all()
    fringe_limit = fringe_limit_for(employee, year)
    used = []
    for row in data["used"]:
        room = fringe_limit if row["category"] == "fringe" else None
        used.append({**row, "treatment": worth.treatment(rules, row["category"],
                                                         row["amount_cents"], room)})
    return {"year": year, "estimate": estimate_view(rules, estimate),
            "received_cents": data["received_cents"],
            "worth": worth.welfare_worth(rules, estimate, data["received_cents"]),
            "converted_cents": counter.converted_cents if counter else 0,
            "bonus_cash_at_substitute_tax_cents": counter.cash_cents if counter else 0,
            "bonus_cap_cents": rules.performance_bonus_cap_cents,
            "bonuses": [{"offer_id": o.id, "name": o.name, "amount_cents": o.amount_cents,
                         "deadline": o.deadline.isoformat(),
                         "welfare_cents": c.granted_welfare_cents, "cash_cents": c.cash_cents,
                         "contributions_cents": c.contributions_cents,
                         "substitute_tax_cents": c.substitute_tax_cents,
                         "ordinary_cents": c.ordinary_cents} for c, o in bonuses],
            "fringe_limit_cents": fringe_limit, "used": used,
            "used_cents": sum(row["amount_cents"] for row in data["used"])}
