"""Money in messages meant for people, the Italian way: 1.000,00 €.

Amounts travel as integer cents; this is only how a sentence shows one. Kept
free of Babel so that every service can use it (the notifications service
formats by the reader's locale with Babel)."""

from __future__ import annotations


def euro(cents: int) -> str:
    """`100000` → `"1.000,00 €"`; `-5` → `"-0,05 €"`."""
    sign = "-" if cents < 0 else ""
    whole, rest = divmod(abs(int(cents)), 100)
    return f"{sign}{whole:,}".replace(",", ".") + f",{rest:02d} €"


def agreed_price(list_price_cents: int, price_cents: int | None = None,
                 discount_bps: int | None = None) -> int:
    """What a network member's employee pays for an offering under the network's
    agreement (docs/domain.md#agreements-and-prices), in whole cents:

    - a price: that price, but never more than the offering's own price;
    - a discount in basis points: the offering's price less the discount, the discount
      rounded to the nearest cent with half a cent going to the employee (ROUND_HALF_UP
      on the discount, in integers: no float), and never below 1 cent.

    The catalog shows it and the wallet charges it; both call this."""
    if price_cents is not None:
        return min(price_cents, list_price_cents)
    if discount_bps is None:
        return list_price_cents
    discount = (list_price_cents * discount_bps + 5_000) // 10_000
    return max(list_price_cents - discount, 1)
