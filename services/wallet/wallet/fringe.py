"""The fringe-benefit room of an employee's year (TUIR art. 51 c.3,
docs/fiscal-rules.md#fringe-benefits): what a fringe voucher or a fringe
reimbursement takes from the year's limit, under a row lock, and what a voucher
given back returns to it."""

from __future__ import annotations

from collections.abc import Callable

from sqlalchemy import select
from sqlalchemy.orm import Session
from wecare_common.contract import refusals
from wecare_common.db import insert_ignore

from wallet.models import FringeUsage

FRINGE = "fringe"


def take_fringe_room(session: Session, employee_id: str, year: int, amount: int,
                     fringe_limit: Callable[[str, int], int], field: str = "offering_id"
                     ) -> None:
    """Count a fringe spend against the year's limit, under a row lock; a refusal
    names the year's limit, the room left and the request's `field`.

    When the wallet has not heard the year's limit yet it asks benefits, with no
    transaction open: call this before writing anything in the transaction (the reads
    before are rolled back and read again as needed)."""
    if session.get(FringeUsage, (employee_id, year)) is None:
        session.rollback()  # reads only so far: nothing stays open over the call
        limit = fringe_limit(employee_id, year)
        insert_ignore(session, FringeUsage.__table__, [{
            "employee_id": employee_id, "year": year, "limit_cents": limit, "used_cents": 0}])
    usage = session.scalars(select(FringeUsage).where(
        FringeUsage.employee_id == employee_id, FringeUsage.year == year).with_for_update()).one()
    limit = usage.limit_cents
    room = max(limit - usage.used_cents, 0)
    if amount > room:
        # One cent over and the whole year's fringe becomes taxable (TUIR 51 c.3).
        raise refusals.FRINGE_LIMIT_EXCEEDED(year=year, limit_cents=limit, room_cents=room,
                                             field=field)
    usage.used_cents += amount


def give_back_fringe_room(session: Session, employee_id: str, year: int, amount: int) -> None:
    usage = session.scalar(select(FringeUsage).where(
        FringeUsage.employee_id == employee_id, FringeUsage.year == year).with_for_update())
    if usage is not None:
        usage.used_cents -= amount
