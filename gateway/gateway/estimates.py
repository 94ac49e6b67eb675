"""An employee's own approximate income (docs/fiscal-rules.md#estimates): theirs alone.
Read and written only by the employee room, for the signed-in person; no route of HR's
imports this module (gateway/tests/test_private_estimate.py checks it)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy.orm import Session

from gateway.models import IncomeEstimate


def income_of(session: Session, user_id: str) -> int | None:
    """The income the person stated, or None."""
    found = session.get(IncomeEstimate, user_id)
    return found.income_cents if found is not None else None


def state_income(session: Session, user_id: str, income_cents: int | None) -> int | None:
    """Keep the person's figure, or forget it (None). Commits."""
    found = session.get(IncomeEstimate, user_id)
    if income_cents is None:
        if found is not None:
            session.delete(found)
    elif found is None:
        session.add(IncomeEstimate(user_id=user_id, income_cents=income_cents,
                                   updated_at=datetime.now(UTC)))
    else:
        found.income_cents, found.updated_at = income_cents, datetime.now(UTC)
    session.commit()
    return income_cents
