"""Euros in messages, the Italian way."""

import pytest
from wecare_common.money import euro


@pytest.mark.parametrize("cents, text", [
    (0, "0,00 €"), (5, "0,05 €"), (99, "0,99 €"), (100, "1,00 €"), (25_823, "258,23 €"),
    (100_000, "1.000,00 €"), (516_457, "5.164,57 €"), (500_001, "5.000,01 €"),
    (8_000_000, "80.000,00 €"), (123_456_789_01, "123.456.789,01 €"), (-5, "-0,05 €"),
    (-100_000, "-1.000,00 €"),
])
def test_thousands_with_dots_cents_after_a_comma_and_the_sign_after(cents, text) -> None:
    assert euro(cents) == text
