"""Idempotent consumers (docs/events.md#idempotency): the ids of handled events,
recorded in the same transaction as the handler's change."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import Column, Index, MetaData, String, Table, delete, select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from wecare_common import config, metrics
from wecare_common.columns import UtcDateTime

# Handled events' ids are kept this long (days; WECARE_INBOX_RETENTION_DAYS): a repeat
# delivery later than that would be handled again. Repeats come from the outbox relay
# (minutes after the first) and from an operator replaying the dead-letter queue, whose
# messages were never handled; a month is far beyond either.
DEFAULT_RETENTION_DAYS = 30
PRUNE_BATCH = 5000


def inbox_table(metadata: MetaData) -> Table:
    return Table(
        "inbox",
        metadata,
        Column("event_id", String(36), primary_key=True),
        Column("consumer", String(128), primary_key=True),
        Column("handled_at", UtcDateTime(), nullable=False),
        # pruning finds the records past their retention by it
        Index("ix_inbox_handled_at", "handled_at"),
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
        metrics.child(metrics.INBOX_DUPLICATES, consumer).inc()
        return False
    try:
        with session.begin_nested():
            session.execute(table.insert().values(
                event_id=event_id, consumer=consumer, handled_at=datetime.now(UTC)))
    except IntegrityError:
        metrics.child(metrics.INBOX_DUPLICATES, consumer).inc()
        return False
    metrics.on_commit(session, metrics.child(metrics.INBOX_HANDLED, consumer))
    return True


def retention() -> timedelta:
    return timedelta(days=float(config.env("WECARE_INBOX_RETENTION_DAYS")
                                or DEFAULT_RETENTION_DAYS))


def prune_handled(engine: Engine, table: Table, older_than: timedelta | None = None,
                  now: datetime | None = None) -> int:
    """Forget events handled longer ago than the retention, a batch per transaction;
    how many records went."""
    cutoff = (now or datetime.now(UTC)) - (older_than if older_than is not None
                                           else retention())
    t, pruned = table, 0
    while True:
        with engine.begin() as conn:
            batch = select(t.c.event_id).where(t.c.handled_at < cutoff) \
                .limit(PRUNE_BATCH).scalar_subquery()
            # the outer condition again: another consumer's newer record of the same event stays
            deleted = conn.execute(delete(t).where(
                t.c.event_id.in_(batch), t.c.handled_at < cutoff)).rowcount
        pruned += deleted
        if deleted < PRUNE_BATCH:
            return pruned
