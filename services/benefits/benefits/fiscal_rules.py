"""The Italian welfare rules (docs/fiscal-rules.md), kept as data: one table per fiscal
year, each figure with the law that sets it, and the statutory defaults for
years not listed. The code asks the table."""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType
from typing import Any

from wecare_common.categories import CATEGORIES


@dataclass(frozen=True)
class CategoryRule:
    legal_basis: str
    cash_reimbursable: bool
    yearly_limit_cents: int | None  # None: no limit per employee
    yearly_limit_basis: str | None = None  # the law that sets the limit, when there is one


@dataclass(frozen=True)
class Bracket:
    """A slice of taxable income and the IRPEF rate on it (TUIR art. 11 c. 1)."""

    up_to_cents: int | None  # the slice's top; None: no top
    rate_bps: int  # 2300 = 23%


@dataclass(frozen=True)
class FiscalYear:
    year: int
    listed: bool  # False: a year the table does not list; statutory defaults apply
    categories: MappingProxyType  # category -> CategoryRule
    fringe_limit_cents: int
    fringe_limit_with_children_cents: int
    fringe_limit_basis: str
    # Performance bonus ("premio di risultato") converted into welfare credit:
    # the yearly cap per employee counts every conversion of that year together.
    performance_bonus_cap_cents: int
    performance_bonus_cap_basis: str
    # the substitute tax on a bonus taken in cash, in basis points (100 = 1%)
    performance_bonus_substitute_tax_bps: int
    performance_bonus_substitute_tax_basis: str
    # previous-year employment income at most this much (income_band up_to_80k)
    performance_bonus_income_max_cents: int = 8_000_000
    performance_bonus_income_max_basis: str = (
        "L. 208/2015 art. 1 c. 186, as amended by L. 232/2016 art. 1 c. 160")
    # a multi-item voucher, for fringe goods only
    cumulative_voucher_max_cents: int = 25_823
    cumulative_voucher_max_basis: str = "DM 25 March 2016 art. 6 c. 3"
    # State income tax (IRPEF) on taxable income, by slice: what salary would cost
    # in tax, for the salary-equivalent estimates (benefits.worth)
    irpef_brackets: tuple[Bracket, ...] = ()
    irpef_basis: str = ""


# -- the figures, each with its source --------------------------------------------------
FRINGE_DEFAULT = (25_823, 25_823, "TUIR art. 51 c.3")
FRINGE_2024 = (100_000, 200_000, "TUIR art. 51 c.3; L. 213/2023 art. 1 c. 16")
FRINGE_2025_2027 = (100_000, 200_000, "TUIR art. 51 c.3; L. 207/2024 art. 1 c. 390-391")

PENSION_UNTIL_2025 = (516_457, "D.Lgs. 252/2005 art. 8 c. 4")
PENSION_FROM_2026 = (530_000, "D.Lgs. 252/2005 art. 8 c. 4, as amended by "
                              "L. 199/2025 art. 1 c. 201")

BONUS_CAP_DEFAULT = (300_000, "L. 208/2015 art. 1 c. 182, as amended by "
                              "L. 232/2016 art. 1 c. 160")
BONUS_CAP_2026_2027 = (500_000, "L. 199/2025 art. 1 c. 9")
BONUS_TAX_DEFAULT = (1_000, "L. 208/2015 art. 1 c. 182")
BONUS_TAX_2024 = (500, "L. 213/2023 art. 1 c. 18")
BONUS_TAX_2025 = (500, "L. 207/2024 art. 1 c. 385, as amended by L. 199/2025 art. 1 c. 8")
BONUS_TAX_2026_2027 = (100, "L. 199/2025 art. 1 c. 9")

IRPEF_UNTIL_2023 = ((Bracket(1_500_000, 2300), Bracket(2_800_000, 2500),
                     Bracket(5_000_000, 3500), Bracket(None, 4300)),
                    "TUIR art. 11 c. 1, as amended by L. 234/2021 art. 1 c. 2")
_THREE = (Bracket(2_800_000, 2300), Bracket(5_000_000, 3500), Bracket(None, 4300))
IRPEF_2024 = (_THREE, "D.Lgs. 216/2023 art. 1 c. 1 (for 2024, in place of TUIR art. 11 c. 1)")
IRPEF_2025 = (_THREE, "TUIR art. 11 c. 1, as amended by L. 207/2024 art. 1 c. 2")
IRPEF_FROM_2026 = ((Bracket(2_800_000, 2300), Bracket(5_000_000, 3300), Bracket(None, 4300)),
                   "TUIR art. 11 c. 1, as amended by L. 199/2025 art. 1 c. 3")

# -- what an estimate assumes when the company says nothing else -------------------------
# (each configurable per company: benefits.settings; docs/fiscal-rules.md#estimates)
# The employee's social-security contribution on salary: the employee's share of the
# pension contribution (FPLD, 8.89%) and 0.30% more (L. 297/1982 art. 3 c. 15), as most
# private employers withhold; firms in the CIGS scheme withhold 9.49%.
INPS_EMPLOYEE_DEFAULT = (919, "INPS: the employee's share of the FPLD pension contribution "
                              "(8.89%) plus 0.30% (L. 297/1982 art. 3 c. 15), most private "
                              "employers")
# Regional and municipal surcharges on taxable income: the regional base rate and the
# ceiling of the municipal one, which most large towns apply.
SURCHARGES_DEFAULT = (203, "regional base rate 1.23% (D.Lgs. 446/1997 art. 50 c. 3, as "
                           "raised by D.L. 201/2011 art. 28 c. 1) plus the municipal ceiling "
                           "0.80% (D.Lgs. 360/1998 art. 1 c. 3)")
# The income an estimate assumes without the employee's own figure: the company's band,
# each band named by the IRPEF slice its gross pay falls in and estimated at one gross
# yearly pay in it. The default band is the lowest, so that an estimate made without the
# person's figure never overstates what welfare is worth.
ESTIMATE_BANDS = MappingProxyType({
    "up_to_28k": 2_000_000,  # taxable income 23% slice
    "28k_50k": 3_500_000,    # the middle slice
    "over_50k": 6_000_000,   # the top slice
})
DEFAULT_ESTIMATE_BAND = "up_to_28k"


def _categories(fringe: tuple[int, int, str], pension: tuple[int, str]) -> MappingProxyType:
    return MappingProxyType({
        "education": CategoryRule("TUIR art. 51 c.2 f-bis", True, None),
        "family_care": CategoryRule("TUIR art. 51 c.2 f-ter", True, None),
        "wellbeing": CategoryRule("TUIR art. 51 c.2 f", False, None),
        "transport": CategoryRule("TUIR art. 51 c.2 d-bis", True, None),
        "health_fund": CategoryRule("TUIR art. 51 c.2 a", False, 361_520, "TUIR art. 51 c.2 a"),
        "pension": CategoryRule("TUIR art. 51 c.2 h", False, *pension),
        "fringe": CategoryRule("TUIR art. 51 c.3", True, fringe[0], fringe[2]),
    })


def _year(year: int, *, fringe: tuple[int, int, str], pension: tuple[int, str],
          bonus_cap: tuple[int, str], bonus_tax: tuple[int, str],
          irpef: tuple[tuple[Bracket, ...], str], listed: bool = True) -> FiscalYear:
    return FiscalYear(
        year=year, listed=listed, categories=_categories(fringe, pension),
        fringe_limit_cents=fringe[0], fringe_limit_with_children_cents=fringe[1],
        fringe_limit_basis=fringe[2],
        performance_bonus_cap_cents=bonus_cap[0], performance_bonus_cap_basis=bonus_cap[1],
        performance_bonus_substitute_tax_bps=bonus_tax[0],
        performance_bonus_substitute_tax_basis=bonus_tax[1],
        irpef_brackets=irpef[0], irpef_basis=irpef[1])


YEARS: MappingProxyType = MappingProxyType({
    2024: _year(2024, fringe=FRINGE_2024, pension=PENSION_UNTIL_2025,
                bonus_cap=BONUS_CAP_DEFAULT, bonus_tax=BONUS_TAX_2024, irpef=IRPEF_2024),
    2025: _year(2025, fringe=FRINGE_2025_2027, pension=PENSION_UNTIL_2025,
                bonus_cap=BONUS_CAP_DEFAULT, bonus_tax=BONUS_TAX_2025, irpef=IRPEF_2025),
    # L. 199/2025 (the Budget Law for 2026): bonus cap and tax for 2026 and 2027,
    # the pension limit and the IRPEF middle rate (35 → 33%) from 2026 on
    2026: _year(2026, fringe=FRINGE_2025_2027, pension=PENSION_FROM_2026,
                bonus_cap=BONUS_CAP_2026_2027, bonus_tax=BONUS_TAX_2026_2027,
                irpef=IRPEF_FROM_2026),
    2027: _year(2027, fringe=FRINGE_2025_2027, pension=PENSION_FROM_2026,
                bonus_cap=BONUS_CAP_2026_2027, bonus_tax=BONUS_TAX_2026_2027,
                irpef=IRPEF_FROM_2026),
})


@lru_cache(maxsize=256)
def _unlisted(year: int) -> FiscalYear:
    """A year the table does not list: the statutes' standing figures (the pension
    limit and the IRPEF rates changed for good from 2026; before 2024 IRPEF had four
    slices). Check the law before relying on one."""
    return _year(year, fringe=FRINGE_DEFAULT,
                 pension=PENSION_FROM_2026 if year >= 2026 else PENSION_UNTIL_2025,
                 bonus_cap=BONUS_CAP_DEFAULT, bonus_tax=BONUS_TAX_DEFAULT,
                 irpef=IRPEF_FROM_2026 if year >= 2026 else (
                     IRPEF_UNTIL_2023 if year < 2024 else IRPEF_2025), listed=False)


def rules_for(year: int) -> FiscalYear:
    return YEARS.get(year) or _unlisted(year)


assert all(tuple(rules_for(y).categories) == CATEGORIES for y in (2023, *YEARS, 2028)), (
    "the fiscal table covers every category")


def fringe_limit_cents(year: int, dependent_children: int) -> int:
    rules = rules_for(year)
    return rules.fringe_limit_with_children_cents if dependent_children else (
        rules.fringe_limit_cents)


def published(year: int) -> dict[str, Any]:
    """The year's rules as the public API shows them, read-only."""
    rules = rules_for(year)
    return {
        "year": rules.year,
        "listed": rules.listed,
        "categories": [
            {"category": name, "legal_basis": rule.legal_basis,
             "cash_reimbursable": rule.cash_reimbursable,
             "yearly_limit_cents": rule.yearly_limit_cents,
             "yearly_limit_basis": rule.yearly_limit_basis}
            for name, rule in rules.categories.items()],
        "fringe": {"limit_cents": rules.fringe_limit_cents,
                   "limit_with_children_cents": rules.fringe_limit_with_children_cents,
                   "legal_basis": rules.fringe_limit_basis},
        "cumulative_voucher": {"max_cents": rules.cumulative_voucher_max_cents,
                               "legal_basis": rules.cumulative_voucher_max_basis},
        "irpef": {
            "brackets": [{"up_to_cents": b.up_to_cents, "rate_bps": b.rate_bps}
                         for b in rules.irpef_brackets],
            "legal_basis": rules.irpef_basis},
        "estimates": {
            "inps_employee_bps": INPS_EMPLOYEE_DEFAULT[0],
            "inps_employee_basis": INPS_EMPLOYEE_DEFAULT[1],
            "surcharges_bps": SURCHARGES_DEFAULT[0],
            "surcharges_basis": SURCHARGES_DEFAULT[1],
            "bands": [{"band": name, "income_cents": cents}
                      for name, cents in ESTIMATE_BANDS.items()],
            "default_band": DEFAULT_ESTIMATE_BAND},
        "performance_bonus": {
            "cap_cents": rules.performance_bonus_cap_cents,
            "cap_basis": rules.performance_bonus_cap_basis,
            "income_max_cents": rules.performance_bonus_income_max_cents,
            "income_max_basis": rules.performance_bonus_income_max_basis,
            "substitute_tax_bps": rules.performance_bonus_substitute_tax_bps,
            "substitute_tax_basis": rules.performance_bonus_substitute_tax_basis,
        },
    }
