"""Redeeming without a network (docs/offline.md): each provider's offline limits, set by
the operators and read by the provider's phone."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy.orm import Session

from wallet.models import OfflineLimits

# docs/offline.md#the-providers-offline-limits: the defaults, and the bounds operators
# may set them within
DEFAULTS = {"voucher_cents": 15_000, "waiting_cents": 50_000, "hours": 48}
BOUNDS = {"voucher_cents": 100_000, "waiting_cents": 1_000_000, "hours": 168}


def limits(session: Session, provider_id: str) -> dict[str, int]:
    row = session.get(OfflineLimits, provider_id)
    if row is None:
        return dict(DEFAULTS)
    return {"voucher_cents": row.voucher_cents, "waiting_cents": row.waiting_cents,
            "hours": row.hours}


def set_limits(session: Session, provider_id: str, *, voucher_cents: int, waiting_cents: int,
               hours: int, now: datetime | None = None) -> dict[str, int]:
    row = session.get(OfflineLimits, provider_id, with_for_update=True)
    values: dict[str, Any] = {"voucher_cents": voucher_cents, "waiting_cents": waiting_cents,
                              "hours": hours, "set_at": now or datetime.now(UTC)}
    if row is None:
        session.add(OfflineLimits(provider_id=provider_id, **values))
    else:
        for name, value in values.items():
            setattr(row, name, value)
    session.flush()
    return limits(session, provider_id)
