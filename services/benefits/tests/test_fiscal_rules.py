"""The Italian welfare rules of docs/fiscal-rules.md, one test per rule, asked of the table."""

from __future__ import annotations

import pytest
from benefits.fiscal_rules import CATEGORIES, fringe_limit_cents, published, rules_for


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


@pytest.mark.parametrize("year", [2023, 2024, 2025, 2026, 2027, 2028])
def test_health_fund_limit_is_3615_20(year: int) -> None:
    assert rules_for(year).categories["health_fund"].yearly_limit_cents == 361_520


@pytest.mark.parametrize("year", [2023, 2024, 2025])
def test_pension_limit_is_5164_57_up_to_2025(year: int) -> None:
    rule = rules_for(year).categories["pension"]
    assert rule.yearly_limit_cents == 516_457
    assert rule.yearly_limit_basis == "D.Lgs. 252/2005 art. 8 c. 4"


@pytest.mark.parametrize("year", [2026, 2027, 2028, 2030])
def test_pension_limit_is_5300_from_2026_for_good(year: int) -> None:
    """L. 199/2025 art. 1 c. 201 amends D.Lgs. 252/2005 art. 8 c. 4 with no end
    date: years the table does not list after 2026 keep it too."""
    rule = rules_for(year).categories["pension"]
    assert rule.yearly_limit_cents == 530_000
    assert "L. 199/2025 art. 1 c. 201" in rule.yearly_limit_basis


@pytest.mark.parametrize("category", ["education", "family_care", "wellbeing", "transport"])
def test_categories_without_a_yearly_limit(category: str) -> None:
    assert rules_for(2026).categories[category].yearly_limit_cents is None


@pytest.mark.parametrize("year", [2024, 2025, 2023, 2028])
def test_performance_bonus_cap_is_3000_outside_2026_and_2027(year: int) -> None:
    rules = rules_for(year)
    assert rules.performance_bonus_cap_cents == 300_000
    assert rules.performance_bonus_cap_basis.startswith("L. 208/2015 art. 1 c. 182")


@pytest.mark.parametrize("year", [2026, 2027])
def test_performance_bonus_cap_is_5000_and_tax_1_percent_in_2026_and_2027(year: int) -> None:
    rules = rules_for(year)
    assert rules.performance_bonus_cap_cents == 500_000
    assert rules.performance_bonus_cap_basis == "L. 199/2025 art. 1 c. 9"
    assert rules.performance_bonus_substitute_tax_bps == 100
    assert rules.performance_bonus_substitute_tax_basis == "L. 199/2025 art. 1 c. 9"


@pytest.mark.parametrize("year, bps, basis", [
    (2024, 500, "L. 213/2023 art. 1 c. 18"),
    (2025, 500, "L. 207/2024 art. 1 c. 385"),
    (2028, 1_000, "L. 208/2015 art. 1 c. 182"),  # the 1% ends with 2027
])
def test_performance_bonus_substitute_tax_of_other_years(year: int, bps: int,
                                                         basis: str) -> None:
    rules = rules_for(year)
    assert rules.performance_bonus_substitute_tax_bps == bps
    assert rules.performance_bonus_substitute_tax_basis.startswith(basis)


@pytest.mark.parametrize("year", [2023, 2024, 2025, 2026, 2027, 2028])
def test_income_ceiling_80000_and_cumulative_voucher_258_23_every_year(year: int) -> None:
    rules = rules_for(year)
    assert rules.performance_bonus_income_max_cents == 8_000_000
    assert "L. 208/2015 art. 1 c. 186" in rules.performance_bonus_income_max_basis
    assert rules.cumulative_voucher_max_cents == 25_823
    assert rules.cumulative_voucher_max_basis == "DM 25 March 2016 art. 6 c. 3"


@pytest.mark.parametrize("year", [2025, 2026, 2027])
def test_fringe_limit_2025_to_2027_unchanged_by_the_2026_budget_law(year: int) -> None:
    """L. 207/2024 art. 1 c. 390-391, not amended by L. 199/2025."""
    rules = rules_for(year)
    assert (rules.fringe_limit_cents, rules.fringe_limit_with_children_cents) == (
        100_000, 200_000)
    assert rules.fringe_limit_basis.endswith("L. 207/2024 art. 1 c. 390-391")
    assert rules.categories["fringe"].yearly_limit_cents == 100_000


def test_years_the_table_lists_and_those_it_does_not() -> None:
    assert [y for y in range(2020, 2031) if rules_for(y).listed] == [2024, 2025, 2026, 2027]
    assert rules_for(2031).year == 2031


@pytest.mark.parametrize("year", [2023, 2024, 2025, 2026, 2027, 2028])
def test_every_figure_names_its_legal_basis(year: int) -> None:
    rules = rules_for(year)
    for name, rule in rules.categories.items():
        assert rule.legal_basis.startswith("TUIR art. 51"), name
        assert (rule.yearly_limit_cents is None) == (rule.yearly_limit_basis is None), name
    for basis in (rules.fringe_limit_basis, rules.performance_bonus_cap_basis,
                  rules.performance_bonus_substitute_tax_basis,
                  rules.performance_bonus_income_max_basis,
                  rules.cumulative_voucher_max_basis):
        assert basis and any(law in basis for law in ("TUIR", "L. ", "D.Lgs.", "DM ")), basis


def test_the_published_rules_of_2026() -> None:
    rules = published(2026)
    assert rules["year"] == 2026 and rules["listed"] is True
    assert [c["category"] for c in rules["categories"]] == list(CATEGORIES)
    pension = next(c for c in rules["categories"] if c["category"] == "pension")
    assert pension == {"category": "pension", "legal_basis": "TUIR art. 51 c.2 h",
                       "cash_reimbursable": False, "yearly_limit_cents": 530_000,
                       "yearly_limit_basis": "D.Lgs. 252/2005 art. 8 c. 4, as amended by "
                                             "L. 199/2025 art. 1 c. 201"}
    assert rules["fringe"] == {"limit_cents": 100_000, "limit_with_children_cents": 200_000,
                               "legal_basis": "TUIR art. 51 c.3; L. 207/2024 art. 1 c. 390-391"}
    assert rules["cumulative_voucher"] == {"max_cents": 25_823,
                                           "legal_basis": "DM 25 March 2016 art. 6 c. 3"}
    assert rules["performance_bonus"] == {
        "cap_cents": 500_000, "cap_basis": "L. 199/2025 art. 1 c. 9",
        "income_max_cents": 8_000_000,
        "income_max_basis": "L. 208/2015 art. 1 c. 186, as amended by L. 232/2016 art. 1 c. 160",
        "substitute_tax_bps": 100, "substitute_tax_basis": "L. 199/2025 art. 1 c. 9"}


def test_the_published_rules_of_2025_and_of_a_year_not_listed() -> None:
    assert published(2025)["performance_bonus"]["cap_cents"] == 300_000
    assert published(2025)["performance_bonus"]["substitute_tax_bps"] == 500
    later = published(2029)
    assert later["year"] == 2029 and later["listed"] is False
    assert later["fringe"]["limit_cents"] == 25_823


def test_every_year_covers_every_category() -> None:
    for year in (2023, 2024, 2025, 2026, 2027, 2028):
        assert tuple(rules_for(year).categories) == CATEGORIES


# -- IRPEF and what estimates assume (docs/fiscal-rules.md#irpef) ---------------------------
def _slices(year: int) -> list[tuple[int | None, int]]:
    return [(b.up_to_cents, b.rate_bps) for b in rules_for(year).irpef_brackets]


@pytest.mark.parametrize("year", [2024, 2025])
def test_irpef_is_23_35_43_in_2024_and_2025(year: int) -> None:
    assert _slices(year) == [(2_800_000, 2_300), (5_000_000, 3_500), (None, 4_300)]


@pytest.mark.parametrize("year", [2026, 2027, 2028])
def test_irpef_middle_rate_is_33_from_2026_for_good(year: int) -> None:
    """L. 199/2025 art. 1 c. 3 amends TUIR art. 11 c. 1 with no end date."""
    assert _slices(year) == [(2_800_000, 2_300), (5_000_000, 3_300), (None, 4_300)]
    assert "L. 199/2025 art. 1 c. 3" in rules_for(year).irpef_basis


def test_irpef_had_four_slices_before_2024() -> None:
    assert _slices(2023) == [(1_500_000, 2_300), (2_800_000, 2_500), (5_000_000, 3_500),
                             (None, 4_300)]


def test_the_published_irpef_and_estimates_of_2026() -> None:
    rules = published(2026)
    assert rules["irpef"] == {
        "brackets": [{"up_to_cents": 2_800_000, "rate_bps": 2_300},
                     {"up_to_cents": 5_000_000, "rate_bps": 3_300},
                     {"up_to_cents": None, "rate_bps": 4_300}],
        "legal_basis": "TUIR art. 11 c. 1, as amended by L. 199/2025 art. 1 c. 3"}
    estimates = rules["estimates"]
    assert estimates["inps_employee_bps"] == 919
    assert "L. 297/1982 art. 3 c. 15" in estimates["inps_employee_basis"]
    assert estimates["surcharges_bps"] == 203
    assert "D.Lgs. 360/1998 art. 1 c. 3" in estimates["surcharges_basis"]
    assert estimates["default_band"] == "up_to_28k"
    assert [b["band"] for b in estimates["bands"]] == ["up_to_28k", "28k_50k", "over_50k"]


def test_each_band_s_income_falls_in_its_irpef_slice() -> None:
    """A band's pay, less the default contributions, is taxable income of its slice."""
    from benefits.fiscal_rules import ESTIMATE_BANDS, INPS_EMPLOYEE_DEFAULT
    from benefits.worth import marginal_irpef_bps, share

    rules = rules_for(2026)
    taxable = {band: cents - share(cents, INPS_EMPLOYEE_DEFAULT[0])
               for band, cents in ESTIMATE_BANDS.items()}
    assert [marginal_irpef_bps(rules, t) for t in taxable.values()] == [2_300, 3_300, 4_300]
