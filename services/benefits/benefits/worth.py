"""What welfare is worth against salary, as plain functions over the year's fiscal table
(docs/fiscal-rules.md#what-welfare-is-worth): integer cents, every rounding stated.

Every figure here is an estimate: it assumes one yearly gross income (the employee's own
figure, or their company's band) and the company's contribution and surcharge rates,
and it leaves out what depends on the person's whole tax return (tax credits that shrink
as income grows, the tax wedge measures, the extra 1% contribution above the pensionable
threshold). The pages say so beside each figure.

Rounding: a percentage of an amount is rounded to the nearest cent, half a cent up
(`share`); the IRPEF of an income is computed slice by slice exactly and rounded once;
the IRPEF an extra amount costs is the tax of the income with it less the tax without."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from benefits.fiscal_rules import FiscalYear

BPS = 10_000


def half_up(numerator: int, denominator: int) -> int:
    """numerator / denominator to the nearest whole number, halves up (both ≥ 0)."""
    return (2 * numerator + denominator) // (2 * denominator)


def share(cents: int, bps: int) -> int:
    """`bps` basis points of `cents`, to the nearest cent (half a cent up)."""
    return half_up(cents * bps, BPS)


@dataclass(frozen=True)
class Estimate:
    """What a figure assumes about the person, each thing said on the page."""

    income_cents: int  # gross yearly employment income
    source: str  # "employee": their own figure; "company_band": the company's band
    inps_bps: int  # the employee's social-security contribution on salary
    surcharges_bps: int  # regional and municipal IRPEF surcharges, together
    band: str | None = None

    @property
    def taxable_cents(self) -> int:
        """Taxable income: gross pay less the employee's contributions (TUIR art. 51 c. 2 a)."""
        return self.income_cents - share(self.income_cents, self.inps_bps)


def irpef(rules: FiscalYear, taxable_cents: int) -> int:
    """The year's IRPEF on a taxable income, slice by slice, before tax credits."""
    total, bottom = 0, 0
    for bracket in rules.irpef_brackets:
        top = taxable_cents if bracket.up_to_cents is None else min(
            taxable_cents, bracket.up_to_cents)
        if top > bottom:
            total += (top - bottom) * bracket.rate_bps
        if bracket.up_to_cents is None or taxable_cents <= bracket.up_to_cents:
            break
        bottom = bracket.up_to_cents
    return half_up(total, BPS)


def marginal_irpef_bps(rules: FiscalYear, taxable_cents: int) -> int:
    """The IRPEF rate on the next euro of this taxable income."""
    for bracket in rules.irpef_brackets:
        if bracket.up_to_cents is None or taxable_cents < bracket.up_to_cents:
            return bracket.rate_bps
    return rules.irpef_brackets[-1].rate_bps


@dataclass(frozen=True)
class Salary:
    """An extra amount of gross salary and what reaches the employee of it."""

    gross_cents: int
    contributions_cents: int  # the employee's share, withheld
    irpef_cents: int
    surcharges_cents: int

    @property
    def net_cents(self) -> int:
        return (self.gross_cents - self.contributions_cents - self.irpef_cents
                - self.surcharges_cents)


def as_salary(rules: FiscalYear, estimate: Estimate, gross_cents: int) -> Salary:
    """`gross_cents` more of salary on top of the estimated income, taxed at ordinary
    rates: contributions, the IRPEF it adds, the surcharges on its taxable part."""
    contributions = share(gross_cents, estimate.inps_bps)
    taxable = gross_cents - contributions
    before = estimate.taxable_cents
    tax = irpef(rules, before + taxable) - irpef(rules, before)
    return Salary(gross_cents, contributions, tax, share(taxable, estimate.surcharges_bps))


def gross_for_net(rules: FiscalYear, estimate: Estimate, net_cents: int) -> int:
    """The extra gross salary, to the cent, at which what reaches the employee first
    reaches `net_cents` (found by bisection: net pay grows with gross pay, give or take
    a cent of rounding)."""
    if net_cents <= 0:
        return 0
    low, high = net_cents, net_cents * 10  # no rate set here takes 90% of a salary
    while low < high:
        middle = (low + high) // 2
        if as_salary(rules, estimate, middle).net_cents >= net_cents:
            high = middle
        else:
            low = middle + 1
    return low


def welfare_worth(rules: FiscalYear, estimate: Estimate, amount_cents: int) -> dict[str, Any]:
    """What `amount_cents` of welfare credit is worth in salary terms:
    - gross_equivalent: the gross salary the company would have had to pay for the
      employee to take home the same amount;
    - as_salary_net: what the same amount paid as salary would have reached them as;
      saving: the difference (tax and contributions not withheld);
    - pension_contributions: the employee's contributions that salary would have paid
      towards their pension, and welfare does not (the employer's share neither)."""
    salary = as_salary(rules, estimate, amount_cents)
    return {"amount_cents": amount_cents,
            "gross_equivalent_cents": gross_for_net(rules, estimate, amount_cents),
            "as_salary_net_cents": salary.net_cents,
            "saving_cents": amount_cents - salary.net_cents,
            "pension_contributions_cents": salary.contributions_cents}


@dataclass(frozen=True)
class BonusCash:
    """A performance bonus paid in cash: the part within the year's room at the
    substitute tax (eligible employees only), the rest at ordinary rates."""

    cash_cents: int
    at_substitute_tax_cents: int
    contributions_cents: int
    substitute_tax_base_cents: int
    substitute_tax_cents: int
    ordinary_cents: int
    ordinary_irpef_cents: int
    ordinary_surcharges_cents: int

    @property
    def net_cents(self) -> int:
        return (self.cash_cents - self.contributions_cents - self.substitute_tax_cents
                - self.ordinary_irpef_cents - self.ordinary_surcharges_cents)

    def view(self) -> dict[str, Any]:
        return {"cash_cents": self.cash_cents,
                "at_substitute_tax_cents": self.at_substitute_tax_cents,
                "contributions_cents": self.contributions_cents,
                "substitute_tax_base_cents": self.substitute_tax_base_cents,
                "substitute_tax_cents": self.substitute_tax_cents,
                "ordinary_cents": self.ordinary_cents,
                "ordinary_tax_cents": self.ordinary_irpef_cents + self.ordinary_surcharges_cents,
                "net_cents": self.net_cents}


def bonus_in_cash(rules: FiscalYear, estimate: Estimate, cash_cents: int, room_cents: int,
                  eligible: bool) -> BonusCash:
    """The cash part of a performance bonus. The substitute tax (L. 208/2015 art. 1
    c. 182) replaces IRPEF and the surcharges on the part within the year's room, and
    is charged on it net of the employee's contributions; the part beyond the room,
    or all of it for an employee over the income ceiling, is taxed as salary."""
    at_substitute = min(cash_cents, max(room_cents, 0)) if eligible else 0
    contributions = share(at_substitute, estimate.inps_bps)
    base = at_substitute - contributions
    tax = share(base, rules.performance_bonus_substitute_tax_bps)
    ordinary = as_salary(rules, estimate, cash_cents - at_substitute)
    return BonusCash(cash_cents=cash_cents, at_substitute_tax_cents=at_substitute,
                     contributions_cents=contributions + ordinary.contributions_cents,
                     substitute_tax_base_cents=base, substitute_tax_cents=tax,
                     ordinary_cents=ordinary.gross_cents,
                     ordinary_irpef_cents=ordinary.irpef_cents,
                     ordinary_surcharges_cents=ordinary.surcharges_cents)


def bonus_choice(rules: FiscalYear, estimate: Estimate, amount_cents: int, welfare_cents: int,
                 room_cents: int, eligible: bool) -> dict[str, Any]:
    """A bonus of `amount_cents` split into `welfare_cents` of welfare credit and the
    rest in cash, beside taking it all in cash: what reaches the employee each way, and
    the pension contributions the welfare part does not pay. `room_cents`: what is left
    of the year's cap before this bonus (the welfare part takes from it first)."""
    cash = bonus_in_cash(rules, estimate, amount_cents - welfare_cents,
                         room_cents - welfare_cents, eligible)
    all_cash = bonus_in_cash(rules, estimate, amount_cents, room_cents, eligible)
    return {"amount_cents": amount_cents, "welfare_cents": welfare_cents,
            "cash": cash.view(),
            "take_home_cents": welfare_cents + cash.net_cents,
            "all_cash_net_cents": all_cash.net_cents,
            "gain_cents": welfare_cents + cash.net_cents - all_cash.net_cents,
            "pension_contributions_forgone_cents": share(welfare_cents, estimate.inps_bps)}


def treatment(rules: FiscalYear, category: str, price_cents: int,
              fringe_room_cents: int | None) -> dict[str, Any]:
    """How the law treats a purchase of `category`, in words a page can say:
    - exempt: tax-free without limit (its TUIR letter);
    - fringe: within the year's fringe-benefit limit, with the room left after it;
    - taxable: past that limit (the whole year's fringe would become taxable income);
    - limited: tax-free up to a yearly limit (health fund, pension)."""
    rule = rules.categories[category]
    if category == "fringe":
        room = rules.fringe_limit_cents if fringe_room_cents is None else fringe_room_cents
        if price_cents <= room:
            return {"kind": "fringe", "legal_basis": rules.fringe_limit_basis,
                    "room_before_cents": room, "room_after_cents": room - price_cents}
        return {"kind": "taxable", "legal_basis": rules.fringe_limit_basis,
                "room_before_cents": room, "room_after_cents": None}
    if rule.yearly_limit_cents is not None:
        return {"kind": "limited", "legal_basis": rule.yearly_limit_basis,
                "limit_cents": rule.yearly_limit_cents}
    return {"kind": "exempt", "legal_basis": rule.legal_basis}
