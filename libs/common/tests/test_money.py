"""Euros in messages, the Italian way."""

import pytest
from wecare_common.money import agreed_price, euro


@pytest.mark.parametrize("cents, text", [
    (0, "0,00 €"), (5, "0,05 €"), (99, "0,99 €"), (100, "1,00 €"), (25_823, "258,23 €"),
    (100_000, "1.000,00 €"), (516_457, "5.164,57 €"), (500_001, "5.000,01 €"),
    (8_000_000, "80.000,00 €"), (123_456_789_01, "123.456.789,01 €"), (-5, "-0,05 €"),
    (-100_000, "-1.000,00 €"),
])
def test_thousands_with_dots_cents_after_a_comma_and_the_sign_after(cents, text) -> None:
    assert euro(cents) == text


# -- a network's agreed price: whole cents, the discount rounded half up (in the
# employee's favour), never above the offering's own price, never below one cent
@pytest.mark.parametrize(("list_price", "bps", "expected"), [
    (10_000, 1_500, 8_500),   # 15 % of 100,00 €
    (1_999, 1_500, 1_699),    # 299,85 → 2,9985 € off rounds to 3,00 €
    (1_990, 2_500, 1_492),    # 497,5 cents off → 498 (half a cent to the employee)
    (1_000, 1_000, 900),
    (1, 9_900, 1),            # never below one cent
    (333, 3_333, 222),        # 110,99 off → 111
])
def test_a_discount_is_rounded_half_up_to_the_cent(list_price: int, bps: int,
                                                   expected: int) -> None:
    assert agreed_price(list_price, discount_bps=bps) == expected


def test_an_agreed_price_is_never_above_the_offering_s_own() -> None:
    assert agreed_price(5_000, price_cents=4_200) == 4_200
    assert agreed_price(4_000, price_cents=4_200) == 4_000  # the provider lowered its price


def test_no_agreement_is_the_offering_s_price() -> None:
    assert agreed_price(5_000) == 5_000


def test_every_amount_and_discount_gives_whole_cents_within_the_bounds() -> None:
    for list_price in range(1, 3_000, 7):
        for bps in range(1, 9_901, 97):
            paid = agreed_price(list_price, discount_bps=bps)
            assert isinstance(paid, int) and 1 <= paid <= list_price
            exact_discount = list_price * bps / 10_000
            assert abs((list_price - paid) - exact_discount) <= 0.5 or paid == 1
