"""Performance bonus into welfare credit (L. 208/2015; L. 199/2025 art. 1 c. 9
for 2026 and 2027): the rule alone, at each boundary of each year, without a
database."""

from __future__ import annotations

import pytest
from benefits.domain import check_bonus_conversion
from benefits.fiscal_rules import rules_for
from wecare_common.errors import RuleViolation

ANNA, LUCA = "anna", "luca"
ELIGIBLE = {ANNA: "up_to_80k", LUCA: "up_to_80k"}


def convert(year: int, amount: int, converted: dict[str, int] | None = None,
            who: list[str] | None = None, bands: dict | None = None) -> None:
    check_bonus_conversion(rules_for(year), who or [ANNA], amount,
                           ELIGIBLE if bands is None else bands, converted or {})


def refusal(year: int, amount: int, **kwargs) -> RuleViolation:
    with pytest.raises(RuleViolation) as exc:
        convert(year, amount, **kwargs)
    return exc.value


@pytest.mark.parametrize("year", [2024, 2025, 2028])
def test_3000_converts_and_3000_01_is_refused_outside_2026_and_2027(year: int) -> None:
    convert(year, 300_000)
    error = refusal(year, 300_001)
    assert str(error) == (
        f"the {year} performance-bonus conversion is capped at 3.000,00 € per employee "
        f"({rules_for(year).performance_bonus_cap_basis}); room left this year: 3.000,00 €")
    assert error.fields["amount_cents"] == ["at most 3.000,00 €: the room left this year"]
    assert error.code == "bonus_conversion_capped" and error.params["room_cents"] == 300_000
    assert error.params["cap_cents"] == 300_000 and error.problems["amount_cents"] == [
        {"code": "at_most_room", "params": {"room_cents": 300_000}}]


@pytest.mark.parametrize("year", [2026, 2027])
def test_3000_01_and_up_to_5000_convert_in_2026_and_2027(year: int) -> None:
    convert(year, 300_001)
    convert(year, 450_000)
    convert(year, 500_000)


@pytest.mark.parametrize("year", [2026, 2027])
def test_5000_01_is_refused_in_2026_and_2027_naming_the_cap_and_the_room(year: int) -> None:
    error = refusal(year, 500_001)
    assert str(error) == (
        f"the {year} performance-bonus conversion is capped at 5.000,00 € per employee "
        "(L. 199/2025 art. 1 c. 9); room left this year: 5.000,00 €")
    assert error.fields["employee_ids"] == [ANNA]


def test_the_cap_counts_the_year_s_earlier_conversions_together() -> None:
    convert(2026, 50_000, converted={ANNA: 450_000})  # exactly up to the cap
    error = refusal(2026, 50_001, converted={ANNA: 450_000})
    assert "room left this year: 500,00 €" in str(error)
    assert error.params["room_cents"] == 50_000
    error = refusal(2026, 1, converted={ANNA: 500_000})
    assert "room left this year: 0,00 €" in str(error)
    error = refusal(2025, 100_000, converted={ANNA: 250_000})
    assert "capped at 3.000,00 €" in str(error) and "room left this year: 500,00 €" in str(error)


def test_with_several_past_the_cap_each_is_listed_and_the_least_room_named() -> None:
    error = refusal(2026, 200_000, who=[ANNA, LUCA],
                    converted={ANNA: 400_000, LUCA: 350_000})
    assert error.fields["employee_ids"] == [ANNA, LUCA]
    assert error.params["room_cents"] == 100_000 and error.params["count"] == 2
    assert error.params["employee_ids"] == [ANNA, LUCA]
    assert "room left this year: 1.000,00 €" in str(error)


@pytest.mark.parametrize("year", [2025, 2026])
@pytest.mark.parametrize("band", ["over_80k", None])
def test_only_employees_within_the_income_ceiling_convert(year: int, band) -> None:
    error = refusal(year, 10_000, who=[ANNA, LUCA], bands={ANNA: "up_to_80k", LUCA: band})
    assert error.fields == {"employee_ids": [LUCA]}
    assert "at most 80.000,00 € (L. 208/2015 art. 1 c. 186" in str(error)
