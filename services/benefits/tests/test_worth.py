"""What welfare is worth against salary (benefits.worth): the worked example of issue 25,
each rule at each year's boundary, and the rounding the docs state. No database."""

from __future__ import annotations

import pytest
from benefits.fiscal_rules import rules_for
from benefits.worth import (
    Estimate,
    as_salary,
    bonus_choice,
    bonus_in_cash,
    gross_for_net,
    half_up,
    irpef,
    marginal_irpef_bps,
    share,
    treatment,
    welfare_worth,
)

DEFAULTS = {"inps_bps": 919, "surcharges_bps": 203}
MIDDLE = Estimate(income_cents=3_500_000, source="company_band", band="28k_50k", **DEFAULTS)
LOW = Estimate(income_cents=2_000_000, source="company_band", band="up_to_28k", **DEFAULTS)
CAP_2026 = 500_000


# -- rounding ------------------------------------------------------------------------------
def test_a_share_is_rounded_to_the_nearest_cent_half_a_cent_up() -> None:
    assert share(100_000, 919) == 9_190
    assert share(90_810, 500) == 4_541  # 4,540.5 → 4,541
    assert share(90_810, 100) == 908  # 908.1 → 908
    assert share(1, 4_999) == 0 and share(1, 5_000) == 1
    assert half_up(5, 10) == 1 and half_up(4, 10) == 0 and half_up(0, 7) == 0


# -- the worked example ------------------------------------------------------------------
def test_a_1000_euro_bonus_in_cash_in_2026_nets_899_02() -> None:
    """1,000 × (1 − 0.0919) × (1 − 0.01) = 899.02 € (issue 25): contributions 91.90 €,
    the substitute tax 1% of the 908.10 € left, 9.08 €."""
    cash = bonus_in_cash(rules_for(2026), MIDDLE, 100_000, CAP_2026, eligible=True)
    assert (cash.contributions_cents, cash.substitute_tax_base_cents,
            cash.substitute_tax_cents, cash.net_cents) == (9_190, 90_810, 908, 89_902)
    assert cash.ordinary_cents == 0


def test_the_same_bonus_as_welfare_is_1000_euro_and_pays_no_pension_contributions() -> None:
    choice = bonus_choice(rules_for(2026), MIDDLE, 100_000, 100_000, CAP_2026, eligible=True)
    assert choice["take_home_cents"] == 100_000
    assert choice["all_cash_net_cents"] == 89_902
    assert choice["gain_cents"] == 10_098
    # what the employee gives up: their 9.19% that would have gone to their pension
    assert choice["pension_contributions_forgone_cents"] == 9_190


def test_converting_60_percent_of_1000_in_2026() -> None:
    choice = bonus_choice(rules_for(2026), MIDDLE, 100_000, 60_000, CAP_2026, eligible=True)
    cash = choice["cash"]
    # 400 € cash: contributions 36.76, the 1% of 363.24 is 3.63 (3.6324)
    assert (cash["cash_cents"], cash["contributions_cents"], cash["substitute_tax_cents"],
            cash["net_cents"]) == (40_000, 3_676, 363, 35_961)
    assert choice["take_home_cents"] == 60_000 + 35_961
    assert choice["pension_contributions_forgone_cents"] == 5_514


# -- the substitute tax at each year's boundary ----------------------------------------
@pytest.mark.parametrize(("year", "tax", "net"), [
    (2023, 9_081, 81_729),  # a year the table does not list: 10%
    (2024, 4_541, 86_269),  # 5%
    (2025, 4_541, 86_269),  # 5% (last year at 5%)
    (2026, 908, 89_902),  # 1% from 1 January 2026
    (2027, 908, 89_902),  # 1% (last year at 1%)
    (2028, 9_081, 81_729),  # 10% again, unless a law says otherwise
])
def test_the_substitute_tax_of_each_year(year: int, tax: int, net: int) -> None:
    cash = bonus_in_cash(rules_for(year), MIDDLE, 100_000, 300_000, eligible=True)
    assert (cash.substitute_tax_cents, cash.net_cents) == (tax, net)


def test_the_cash_beyond_the_year_s_room_is_taxed_as_salary() -> None:
    """1,000 € with 400 € of room left: 400 € at 1%, 600 € at the ordinary rates."""
    rules = rules_for(2026)
    cash = bonus_in_cash(rules, MIDDLE, 100_000, 40_000, eligible=True)
    ordinary = as_salary(rules, MIDDLE, 60_000)
    assert cash.at_substitute_tax_cents == 40_000 and cash.ordinary_cents == 60_000
    assert cash.substitute_tax_cents == share(40_000 - share(40_000, 919), 100)
    assert cash.net_cents == 40_000 - share(40_000, 919) - cash.substitute_tax_cents + (
        ordinary.net_cents)


def test_over_the_income_ceiling_the_whole_bonus_is_taxed_as_salary() -> None:
    rules = rules_for(2026)
    cash = bonus_in_cash(rules, MIDDLE, 100_000, CAP_2026, eligible=False)
    assert cash.at_substitute_tax_cents == 0 and cash.substitute_tax_cents == 0
    assert cash.net_cents == as_salary(rules, MIDDLE, 100_000).net_cents == 59_000


# -- IRPEF by year -------------------------------------------------------------------------
@pytest.mark.parametrize(("year", "tax"), [
    (2023, 345_000 + 325_000 + 420_000),  # 23% to 15k, 25% to 28k, 35% above
    (2024, 644_000 + 420_000),  # 23% to 28k, 35% to 50k
    (2025, 644_000 + 420_000),
    (2026, 644_000 + 396_000),  # L. 199/2025: 33% from 28k to 50k
    (2027, 644_000 + 396_000),
    (2028, 644_000 + 396_000),  # the 33% has no end date
])
def test_irpef_on_40000_of_taxable_income(year: int, tax: int) -> None:
    assert irpef(rules_for(year), 4_000_000) == tax


@pytest.mark.parametrize("year", [2025, 2026])
def test_the_slices_meet_at_28000_and_50000(year: int) -> None:
    rules = rules_for(year)
    middle = 3_500 if year == 2025 else 3_300
    assert irpef(rules, 2_800_000) == 644_000
    assert marginal_irpef_bps(rules, 2_799_999) == 2_300
    assert marginal_irpef_bps(rules, 2_800_000) == middle  # the next euro is in the middle
    assert irpef(rules, 2_800_100) == 644_000 + middle // 100  # one euro into it
    assert irpef(rules, 5_000_000) == 644_000 + 2_200_000 * middle // 10_000
    assert marginal_irpef_bps(rules, 5_000_000) == 4_300
    assert irpef(rules, 5_000_100) == 644_000 + 2_200_000 * middle // 10_000 + 43


def test_irpef_of_nothing_is_nothing() -> None:
    assert irpef(rules_for(2026), 0) == 0


# -- salary and its worth ----------------------------------------------------------------
def test_1000_of_salary_in_the_middle_slice_of_2026_reaches_the_employee_as_590() -> None:
    """91.90 € contributions; of the 908.10 € left, 33% IRPEF (299.67 €) and 2.03%
    surcharges (18.43 €)."""
    salary = as_salary(rules_for(2026), MIDDLE, 100_000)
    assert (salary.contributions_cents, salary.irpef_cents, salary.surcharges_cents,
            salary.net_cents) == (9_190, 29_967, 1_843, 59_000)


def test_the_same_salary_in_2025_paid_35_percent() -> None:
    # the tax of the income with it less the tax without, each rounded once:
    # 8,082.06 € − 7,764.23 € (7,764.225 rounded up)
    assert as_salary(rules_for(2025), MIDDLE, 100_000).irpef_cents == 31_783


def test_an_extra_amount_crossing_a_slice_is_taxed_in_both() -> None:
    near = Estimate(income_cents=3_083_300, source="employee", **DEFAULTS)
    assert near.taxable_cents == 2_799_945  # 55 cents below the middle slice
    salary = as_salary(rules_for(2026), near, 1_000_000)
    # of the 9,081.00 € taxable, 0.55 € at 23% and 9,080.45 € at 33%
    assert salary.irpef_cents == half_up(55 * 2_300 + 908_045 * 3_300, 10_000) == 299_668


@pytest.mark.parametrize("estimate", [LOW, MIDDLE])
@pytest.mark.parametrize("amount", [1, 99, 100_000, 250_000, 1_234_567])
def test_the_gross_equivalent_is_where_the_net_first_reaches_the_amount(
        estimate: Estimate, amount: int) -> None:
    rules = rules_for(2026)
    gross = gross_for_net(rules, estimate, amount)
    assert as_salary(rules, estimate, gross).net_cents >= amount
    assert as_salary(rules, estimate, gross - 1).net_cents < amount


def test_what_1000_of_credit_is_worth_in_the_middle_slice_of_2026() -> None:
    worth = welfare_worth(rules_for(2026), MIDDLE, 100_000)
    assert worth["as_salary_net_cents"] == 59_000
    assert worth["saving_cents"] == 41_000
    assert worth["pension_contributions_cents"] == 9_190
    assert 169_400 < worth["gross_equivalent_cents"] < 169_600  # 1,000 / 0.59


def test_the_lowest_band_is_worth_less_than_the_middle_one() -> None:
    low = welfare_worth(rules_for(2026), LOW, 100_000)
    middle = welfare_worth(rules_for(2026), MIDDLE, 100_000)
    assert low["gross_equivalent_cents"] < middle["gross_equivalent_cents"]
    assert low["as_salary_net_cents"] == 100_000 - 9_190 - share(90_810, 2_300) - share(
        90_810, 203)


def test_nothing_is_worth_nothing() -> None:
    worth = welfare_worth(rules_for(2026), MIDDLE, 0)
    assert worth["gross_equivalent_cents"] == 0 and worth["saving_cents"] == 0


# -- tax treatment of a purchase ---------------------------------------------------------
def test_education_is_tax_free_without_limit_under_f_bis() -> None:
    assert treatment(rules_for(2026), "education", 50_000, None) == {
        "kind": "exempt", "legal_basis": "TUIR art. 51 c.2 f-bis"}


def test_fringe_within_the_limit_says_the_room_left_after_it() -> None:
    assert treatment(rules_for(2026), "fringe", 30_000, 100_000) == {
        "kind": "fringe", "legal_basis": "TUIR art. 51 c.3; L. 207/2024 art. 1 c. 390-391",
        "room_before_cents": 100_000, "room_after_cents": 70_000}
    assert treatment(rules_for(2026), "fringe", 100_000, 100_000)["room_after_cents"] == 0


def test_fringe_past_the_limit_is_taxable() -> None:
    assert treatment(rules_for(2026), "fringe", 100_001, 100_000)["kind"] == "taxable"


def test_health_fund_is_tax_free_up_to_its_limit() -> None:
    assert treatment(rules_for(2026), "health_fund", 1_000, None) == {
        "kind": "limited", "legal_basis": "TUIR art. 51 c.2 a", "limit_cents": 361_520}
