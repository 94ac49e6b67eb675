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
          bonus_cap: tuple[int, str], bonus_tax: tuple[int, str], listed: bool = True
          ) -> FiscalYear:
    return FiscalYear(
        year=year, listed=listed, categories=_categories(fringe, pension),
        fringe_limit_cents=fringe[0], fringe_limit_with_children_cents=fringe[1],
        fringe_limit_basis=fringe[2],
        performance_bonus_cap_cents=bonus_cap[0], performance_bonus_cap_basis=bonus_cap[1],
        performance_bonus_substitute_tax_bps=bonus_tax[0],
        performance_bonus_substitute_tax_basis=bonus_tax[1])


YEARS: MappingProxyType = MappingProxyType({
    2024: _year(2024, fringe=FRINGE_2024, pension=PENSION_UNTIL_2025,
                bonus_cap=BONUS_CAP_DEFAULT, bonus_tax=BONUS_TAX_2024),
    2025: _year(2025, fringe=FRINGE_2025_2027, pension=PENSION_UNTIL_2025,
                bonus_cap=BONUS_CAP_DEFAULT, bonus_tax=BONUS_TAX_2025),
    # L. 199/2025 (the Budget Law for 2026): bonus cap and tax for 2026 and 2027,
    # and the pension limit from 2026 on
    2026: _year(2026, fringe=FRINGE_2025_2027, pension=PENSION_FROM_2026,
                bonus_cap=BONUS_CAP_2026_2027, bonus_tax=BONUS_TAX_2026_2027),
    2027: _year(2027, fringe=FRINGE_2025_2027, pension=PENSION_FROM_2026,
                bonus_cap=BONUS_CAP_2026_2027, bonus_tax=BONUS_TAX_2026_2027),
})


@lru_cache(maxsize=256)
def _unlisted(year: int) -> FiscalYear:
    """A year the table does not list: the statutes' standing figures (the pension
    limit rose for good from 2026). Check the law before relying on one."""
    return _year(year, fringe=FRINGE_DEFAULT,
                 pension=PENSION_FROM_2026 if year >= 2026 else PENSION_UNTIL_2025,
                 bonus_cap=BONUS_CAP_DEFAULT, bonus_tax=BONUS_TAX_DEFAULT, listed=False)


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
        "performance_bonus": {
            "cap_cents": rules.performance_bonus_cap_cents,
            "cap_basis": rules.performance_bonus_cap_basis,
            "income_max_cents": rules.performance_bonus_income_max_cents,
            "income_max_basis": rules.performance_bonus_income_max_basis,
            "substitute_tax_bps": rules.performance_bonus_substitute_tax_bps,
            "substitute_tax_basis": rules.performance_bonus_substitute_tax_basis,
        },
    }
