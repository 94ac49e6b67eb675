"""The Italian welfare rules of DESIGN §2, one test per rule, asked of the table."""

from __future__ import annotations

import pytest
from benefits.fiscal_rules import CATEGORIES, fringe_limit_cents, rules_for


@pytest.mark.parametrize("year", [2024, 2025, 2026, 2027])
def test_fringe_limit_is_1000_or_2000_with_children_in_2024_to_2027(year: int) -> None:
    assert fringe_limit_cents(year, dependent_children=0) == 100_000
    assert fringe_limit_cents(year, dependent_children=2) == 200_000


@pytest.mark.parametrize("year", [2023, 2028])
def test_fringe_limit_is_258_23_in_other_years(year: int) -> None:
    assert fringe_limit_cents(year, dependent_children=0) == 25_823
    assert fringe_limit_cents(year, dependent_children=1) == 25_823


def test_wellbeing_is_never_reimbursed_in_cash() -> None:
    rule = rules_for(2026).categories["wellbeing"]
    assert rule.cash_reimbursable is False
    assert rule.legal_basis == "TUIR art. 51 c.2 f"


@pytest.mark.parametrize("category", ["education", "family_care", "transport", "fringe"])
def test_categories_that_may_be_reimbursed(category: str) -> None:
    assert rules_for(2026).categories[category].cash_reimbursable is True


def test_health_fund_and_pension_limits() -> None:
    rules = rules_for(2026).categories
    assert rules["health_fund"].yearly_limit_cents == 361_520
    assert rules["pension"].yearly_limit_cents == 516_457


@pytest.mark.parametrize("category", ["education", "family_care", "wellbeing", "transport"])
def test_categories_without_a_yearly_limit(category: str) -> None:
    assert rules_for(2026).categories[category].yearly_limit_cents is None


def test_performance_bonus_and_cumulative_voucher_figures() -> None:
    rules = rules_for(2026)
    assert rules.performance_bonus_cap_cents == 300_000
    assert rules.performance_bonus_income_max_cents == 8_000_000
    assert rules.cumulative_voucher_max_cents == 25_823


def test_every_year_covers_every_category() -> None:
    for year in (2023, 2024, 2025, 2026, 2027, 2028):
        assert tuple(rules_for(year).categories) == CATEGORIES
