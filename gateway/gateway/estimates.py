"""An employee's own approximate income (docs/fiscal-rules.md#estimates): theirs alone.
Read and written only by the employee room, for the signed-in person; no route of HR's
imports this module (gateway/tests/test_private_estimate.py checks it)."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import delete
from sqlalchemy.orm import Session
from wecare_common.db import insert_on_conflict

from gateway.models import IncomeEstimate


def income_of(session: Session, user_id: str) -> int | None:
    """The income the person stated, or None."""
    found = session.get(IncomeEstimate, user_id)
    return found.income_cents if found is not None else None


def state_income(session: Session, user_id: str, income_cents: int | None) -> int | None:
    """Keep the person's figure, or forget it (None). Commits."""
    if income_cents is None:
        session.execute(delete(IncomeEstimate).where(IncomeEstimate.user_id == user_id))
    else:  # one statement: the same figure sent twice at once is kept once
        now = datetime.now(UTC)
        statement = insert_on_conflict(session, IncomeEstimate).values(
            user_id=user_id, income_cents=income_cents, updated_at=now)
        session.execute(statement.on_conflict_do_update(
            index_elements=["user_id"], set_={"income_cents": income_cents,
                                              "updated_at": now}))
    session.commit()
    return income_cents
