"""The Italian welfare rules of DESIGN §2, kept as data: one table per fiscal
year, and the default for years not listed. The code asks the table."""

from __future__ import annotations

from dataclasses import dataclass
from types import MappingProxyType

from wecare_common.categories import CATEGORIES


@dataclass(frozen=True)
class CategoryRule:
    legal_basis: str
    cash_reimbursable: bool
    yearly_limit_cents: int | None  # None: no limit per employee


@dataclass(frozen=True)
class FiscalYear:
    year: int | None
    categories: MappingProxyType  # category -> CategoryRule
    fringe_limit_cents: int
    fringe_limit_with_children_cents: int
    cumulative_voucher_max_cents: int = 25823
    performance_bonus_cap_cents: int = 300000
    performance_bonus_income_max_cents: int = 8000000


def _categories(fringe_limit: int) -> MappingProxyType:
    return MappingProxyType({
        "education": CategoryRule("TUIR art. 51 c.2 f-bis", True, None),
        "family_care": CategoryRule("TUIR art. 51 c.2 f-ter", True, None),
        "wellbeing": CategoryRule("TUIR art. 51 c.2 f", False, None),
        "transport": CategoryRule("TUIR art. 51 c.2 d-bis", True, None),
        "health_fund": CategoryRule("TUIR art. 51 c.2 a", False, 361520),
        "pension": CategoryRule("TUIR art. 51 c.2 h", False, 516457),
        "fringe": CategoryRule("TUIR art. 51 c.3", True, fringe_limit),
    })


def _raised_fringe_year(year: int) -> FiscalYear:
    # L. 207/2024 art. 1 c.390: 1,000 EUR, 2,000 EUR with dependent children, 2025-2027;
    # L. 213/2023 set the same figures for 2024.
    return FiscalYear(year, _categories(100000), 100000, 200000)


YEARS: MappingProxyType = MappingProxyType(
    {year: _raised_fringe_year(year) for year in (2024, 2025, 2026, 2027)})
DEFAULT = FiscalYear(None, _categories(25823), 25823, 25823)
assert tuple(DEFAULT.categories) == CATEGORIES, "the fiscal table covers every category"


def rules_for(year: int) -> FiscalYear:
    return YEARS.get(year, DEFAULT)


def fringe_limit_cents(year: int, dependent_children: int) -> int:
    rules = rules_for(year)
    return rules.fringe_limit_with_children_cents if dependent_children else (
        rules.fringe_limit_cents)
