"""The platform's commission on a redeemed voucher (docs/domain.md#settlements)."""

from __future__ import annotations


def commission_of(amount_cents: int, bps: int) -> int:
    """The platform's share, rounded down to the cent (never more than agreed)."""
    return amount_cents * bps // 10_000
