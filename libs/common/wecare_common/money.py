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
