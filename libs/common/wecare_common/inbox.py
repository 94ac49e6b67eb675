"""Idempotent consumers: the ids of handled events, recorded in the same
transaction as the handler's change."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import Column, DateTime, MetaData, String, Table, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("consumer", String(128), primary_key=True),
        Column("handled_at", DateTime(timezone=True), nullable=False),
    )


def first_delivery(session: Session, table: Table, event_id: str, consumer: str) -> bool:
    """Record that `consumer` handles `event_id`; False if it already did.

    Call it first in the handler's transaction: the record commits with the
    handler's change, or not at all. Two racing deliveries collide on the
    primary key and the loser's transaction fails (and is retried, then skips).
    """
    seen = session.execute(
        select(table.c.event_id).where(table.c.event_id == event_id,
                                       table.c.consumer == consumer)
    ).first()
    if seen:
        return False
    try:
        with session.begin_nested():
            session.execute(table.insert().values(
                event_id=event_id, consumer=consumer, handled_at=datetime.now(UTC)))
    except IntegrityError:
        return False
    return True
