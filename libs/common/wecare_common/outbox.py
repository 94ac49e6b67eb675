"""Transactional outbox: events are rows written in the same transaction as
the change they announce; a relay publishes them with publisher confirms and
marks them sent. A crash between commit and publish loses nothing (the relay
publishes on restart); a publish twice is harmless (consumers dedupe by id).
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from typing import Any

import eventlet
from amqp.exceptions import AMQPError
from eventlet.event import Event
from kombu import Connection
from kombu.exceptions import KombuError
from opentelemetry.trace import SpanKind
from sqlalchemy import (
    JSON,
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    String,
    Table,
    delete,
    event,
    select,
    update,
)
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from wecare_common import config, logs, metrics, tracing
from wecare_common.columns import UtcDateTime
from wecare_common.events import make_envelope
from wecare_common.topology import declare_backbone, events_exchange

log = logging.getLogger(__name__)


def outbox_table(metadata: MetaData) -> Table:
    return Table(
        "outbox",
        metadata,
        Column("seq", BigInteger().with_variant(Integer, "sqlite"), primary_key=True,
               autoincrement=True),
        Column("event_id", String(36), nullable=False, unique=True),
        Column("event_type", String(64), nullable=False),
        Column("envelope", JSON, nullable=False),
        Column("created_at", UtcDateTime(), nullable=False),
        Column("sent_at", UtcDateTime(), nullable=True),
        # the AMQP headers the event is published with: the W3C traceparent of the
        # transaction that recorded it and its request id (`message_headers`)
        Column("headers", JSON, nullable=True),
        Index("ix_outbox_unsent", "seq", postgresql_where=Column("sent_at").is_(None)),
    )


def record_event(
    session: Session,
    event_type: str,
    payload: dict[str, Any],
    *,
    producer: str,
    company_id: str | None,
) -> dict[str, Any]:
    """Add an event to the outbox inside the caller's transaction."""
    outbox = _outbox_of(session)
    envelope = make_envelope(event_type, payload, producer=producer, company_id=company_id)
    session.execute(_insert_into(outbox), {
        "event_id": envelope["id"], "event_type": event_type, "envelope": envelope,
        "created_at": datetime.now(UTC), "headers": message_headers()})
    mark_outbox_pending(session)
    return envelope


def message_headers() -> dict[str, str] | None:
    """What an event recorded now is published with: the current trace context and
    request id (the consumers' spans and log lines join the request's); None: neither."""
    headers = tracing.inject({})
    request_id = logs.REQUEST_ID.get()
    if request_id is not None:
        headers["request_id"] = request_id
    return headers or None


def backlog(engine: Engine, table: Table) -> tuple[int, float | None]:
    """(unsent events, the oldest one's creation as Unix time or None)."""
    from sqlalchemy import func

    with engine.connect() as conn:
        count, oldest = conn.execute(select(func.count(), func.min(table.c.created_at))
                                     .where(table.c.sent_at.is_(None))).one()
    if oldest is None:
        return count, None
    if oldest.tzinfo is None:  # SQLite reads it back naive (UTC)
        oldest = oldest.replace(tzinfo=UTC)
    return count, oldest.timestamp()


def mark_outbox_pending(session: Session) -> None:
    """The transaction wrote an outbox row (by `record_event`, or by a statement of its
    own): its commit wakes the relay."""
    session.info["outbox_pending"] = True


@lru_cache(maxsize=8)
def _insert_into(outbox: Table) -> Any:
    """The INSERT, built once per table (building costs SQLAlchemy ~0.1 ms a call)."""
    return outbox.insert()


def _outbox_of(session: Session) -> Table:
    table = session.info.get("outbox_table")
    if table is None:
        raise RuntimeError("this session's factory has no outbox (see outbox_sessionmaker)")
    return table


class OutboxRelay:
    """Publishes unsent outbox rows in order, with confirms, then marks them sent."""

    batch_size = 200

    def __init__(self, engine: Engine, table: Table, amqp_uri: str | None = None,
                 poll_interval: float = 0.5) -> None:
        self.engine = engine
        self.table = table
        self.amqp_uri = amqp_uri or config.amqp_uri()
        self.poll_interval = poll_interval
        self._wake = Event()
        self._running = False
        self._stopped: Event | None = None
        self._conn: Connection | None = None
        self._producer: Any = None

    # -- publishing -------------------------------------------------------
    def _ensure_producer(self) -> Any:
        if self._producer is None:
            self._conn = Connection(self.amqp_uri, transport_options={"confirm_publish": True})
            channel = self._conn.channel()
            declare_backbone(channel)
            self._producer = self._conn.Producer(channel=channel)
        return self._producer

    def _reset_producer(self) -> None:
        if self._conn is not None:
            try:
                self._conn.release()
            except Exception:  # noqa: BLE001 - closing a broken connection
                pass
        self._conn = None
        self._producer = None

    def publish(self, envelope: dict[str, Any], headers: dict[str, Any] | None = None) -> None:
        producer = self._ensure_producer()
        headers = dict(headers or {})
        # a span of its own, child of the transaction that recorded the event; the
        # consumers' spans are its children (its traceparent in the message's headers)
        with tracing.span(f"publish {envelope['type']}", SpanKind.PRODUCER,
                          parent=tracing.extract(headers), attributes={
                              "messaging.system": "rabbitmq",
                              "messaging.operation.type": "publish",
                              "messaging.destination.name": events_exchange.name,
                              "messaging.rabbitmq.destination.routing_key": envelope["type"],
                              "messaging.message.id": envelope["id"]}):
            tracing.inject(headers)
            # With confirm_publish the call returns only once the broker has
            # taken responsibility for the message (or raises).
            producer.publish(
                envelope,
                exchange=events_exchange,
                routing_key=envelope["type"],
                serializer="json",
                delivery_mode=2,
                message_id=envelope["id"],
                type=envelope["type"],
                headers=headers,
                retry=False,
            )

    def relay_once(self) -> int:
        """Publish one batch of unsent events; returns how many were sent."""
        t = self.table
        query = select(t.c.seq, t.c.envelope, t.c.headers).where(
            t.c.sent_at.is_(None)).order_by(t.c.seq).limit(self.batch_size)
        if self.engine.dialect.name == "postgresql":
            # Several replicas may relay; each row goes out through one of them.
            query = query.with_for_update(skip_locked=True)
        with self.engine.begin() as conn:
            rows = conn.execute(query).all()
            for _seq, envelope, headers in rows:
                self.publish(envelope, headers)
            # one statement for the batch; a failure above rolls it all back and
            # the batch goes again (consumers drop what they have seen)
            if rows:
                conn.execute(update(t).where(t.c.seq.in_([seq for seq, _, _ in rows]))
                             .values(sent_at=datetime.now(UTC)))
        for _seq, envelope, _headers in rows:  # published and marked sent
            metrics.child(metrics.EVENTS_PUBLISHED, envelope["type"]).inc()
        return len(rows)

    # -- the loop -----------------------------------------------------------
    def wake(self) -> None:
        if not self._wake.ready():
            self._wake.send(True)

    def run(self) -> None:
        self._running = True
        self._stopped = Event()
        try:
            self._relay_until_stopped()
            self._flush()
        finally:
            self._reset_producer()
            self._stopped.send(True)

    def _relay_until_stopped(self) -> None:
        backoff = self.poll_interval
        while self._running:
            try:
                while self._running and self.relay_once() == self.batch_size:
                    pass
                backoff = self.poll_interval
            except (KombuError, AMQPError, OSError, ConnectionError) as exc:
                log.warning("outbox relay cannot publish (%s); retrying", exc)
                self._reset_producer()
                backoff = min(backoff * 2, 10.0)
            except Exception:  # noqa: BLE001 - the relay must outlive a bad batch
                log.exception("outbox relay failed; retrying")
                # a fresh connection too: a broken one fails every batch after
                self._reset_producer()
                backoff = min(backoff * 2, 10.0)
            with eventlet.Timeout(backoff, False):
                self._wake.wait()
            self._wake = Event()

    def _flush(self) -> None:
        """Stopping: what the last workers committed goes out now rather than when
        another replica's relay next looks (it stays in the outbox if it cannot)."""
        try:
            while self.relay_once() == self.batch_size:
                pass
        except Exception as exc:  # noqa: BLE001 - left for the next relay, never lost
            log.warning("outbox relay stopping without publishing everything (%s); "
                        "the rest waits in the outbox", exc)

    def stop(self, timeout: float | None = None) -> None:
        """Stop after the batch under way and a last look for unsent events; with a
        timeout, wait (up to it) until that is done."""
        self._running = False
        self.wake()
        if timeout and self._stopped is not None:
            with eventlet.Timeout(timeout, False):
                self._stopped.wait()


# -- pruning ------------------------------------------------------------------------
# Sent events are kept this long (days; WECARE_OUTBOX_RETENTION_DAYS), to look into
# what went out; an unsent one is kept until the relay has published it, however old.
DEFAULT_RETENTION_DAYS = 7
PRUNE_BATCH = 5000


def retention() -> timedelta:
    return timedelta(days=float(config.env("WECARE_OUTBOX_RETENTION_DAYS")
                                or DEFAULT_RETENTION_DAYS))


def prune_sent(engine: Engine, table: Table, older_than: timedelta | None = None,
               now: datetime | None = None) -> int:
    """Delete events sent longer ago than the retention, a batch per transaction (each
    short: the relay and writers are not held up); how many went. An event never sent
    is never deleted, whatever its age: the condition is on `sent_at`, which only the
    relay sets, after the broker confirmed the publish."""
    cutoff = (now or datetime.now(UTC)) - (older_than if older_than is not None
                                           else retention())
    t, pruned = table, 0
    while True:
        with engine.begin() as conn:
            # oldest first along the primary key: the old sent rows are at its start
            batch = select(t.c.seq).where(t.c.sent_at.is_not(None), t.c.sent_at < cutoff) \
                .order_by(t.c.seq).limit(PRUNE_BATCH).scalar_subquery()
            deleted = conn.execute(delete(t).where(
                t.c.seq.in_(batch), t.c.sent_at.is_not(None), t.c.sent_at < cutoff)).rowcount
        pruned += deleted
        if deleted < PRUNE_BATCH:
            return pruned


def outbox_sessionmaker(engine: Engine, metadata: MetaData,
                        relay: OutboxRelay | None = None) -> sessionmaker[Session]:
    """Sessions that know the service's outbox table and wake the relay after
    a commit that wrote events."""
    factory = sessionmaker(bind=engine, expire_on_commit=False,
                           info={"outbox_table": metadata.tables.get("outbox")})

    @event.listens_for(factory, "after_commit")
    def _wake(session: Session) -> None:
        if session.info.pop("outbox_pending", False) and relay is not None:
            relay.wake()
        metrics.committed(session)  # what the transaction counted (metrics.on_commit)

    @event.listens_for(factory, "after_rollback")
    def _forget(session: Session) -> None:
        session.info.pop("outbox_pending", None)
        metrics.rolled_back(session)

    return factory

