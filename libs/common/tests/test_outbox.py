"""The transactional outbox and its relay, on real PostgreSQL and RabbitMQ; pruning
of the outbox and the inbox."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from kombu import Connection
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select, update
from wecare_common.db import Database, ensure_schema, make_engine, transaction
from wecare_common.inbox import first_delivery, inbox_table, prune_handled
from wecare_common.outbox import (
    OutboxRelay,
    outbox_sessionmaker,
    outbox_table,
    prune_sent,
    record_event,
)
from wecare_common.topology import consumer_queue, declare_backbone, unrouted_queue

SCHEMA = "outbox_probe"
metadata = MetaData()
items = Table("items", metadata, Column("id", Integer, primary_key=True),
              Column("name", String(50)))
outbox = outbox_table(metadata)
inbox = inbox_table(metadata)


@pytest.fixture
def engine(database_url: str) -> Iterator:
    engine = make_engine(SCHEMA, database_url)
    ensure_schema(engine, SCHEMA)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def _bind_probe_queue(amqp_uri: str, *event_types: str) -> None:
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        declare_backbone(channel)
        consumer_queue("probe", event_types).bind(channel).declare()


def _drain(amqp_uri: str, queue_name: str) -> list[dict]:
    with Connection(amqp_uri) as conn:
        queue = conn.SimpleQueue(queue_name, queue_opts={"no_declare": True})
        bodies = []
        try:
            while True:
                message = queue.get(timeout=1)
                bodies.append(message.payload)
                message.ack()
        except queue.Empty:
            pass
        return bodies


def _unsent(engine) -> int:
    with engine.connect() as conn:
        return conn.scalar(select(func.count()).select_from(outbox).where(
            outbox.c.sent_at.is_(None)))


def test_an_event_committed_before_a_crash_is_published_on_restart(engine, amqp_uri) -> None:
    _bind_probe_queue(amqp_uri, "thing.happened")
    factory = outbox_sessionmaker(engine, metadata)  # this process's relay never ran
    with transaction(factory) as session:
        session.execute(items.insert().values(name="first"))
        envelope = record_event(session, "thing.happened", {"name": "first"},
                                producer="test", company_id=None)

    # The process died after commit: the event is in the outbox, not on the broker.
    assert _drain(amqp_uri, "probe") == []
    assert _unsent(engine) == 1

    # A relay on a broker it cannot reach (the crash mid-publish) marks nothing sent.
    dead = OutboxRelay(engine, outbox, "pyamqp://guest:guest@127.0.0.1:1//")
    with pytest.raises(OSError):
        dead.relay_once()
    assert _unsent(engine) == 1

    # The restarted service's relay publishes it, once.
    relay = OutboxRelay(engine, outbox, amqp_uri)
    assert relay.relay_once() == 1
    assert relay.relay_once() == 0
    relay._reset_producer()
    assert _drain(amqp_uri, "probe") == [envelope]
    assert _unsent(engine) == 0


def test_a_rolled_back_change_leaves_no_event(engine, amqp_uri) -> None:
    factory = outbox_sessionmaker(engine, metadata)
    with pytest.raises(RuntimeError), transaction(factory) as session:
        session.execute(items.insert().values(name="never"))
        record_event(session, "thing.happened", {}, producer="test", company_id=None)
        raise RuntimeError("the change failed half-way")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(items)) == 0
        assert conn.scalar(select(func.count()).select_from(outbox)) == 0


def test_events_leave_in_the_order_they_were_written(engine, amqp_uri) -> None:
    _bind_probe_queue(amqp_uri, "thing.happened")
    factory = outbox_sessionmaker(engine, metadata)
    for n in range(5):
        with transaction(factory) as session:
            record_event(session, "thing.happened", {"n": n}, producer="test", company_id=None)
    relay = OutboxRelay(engine, outbox, amqp_uri)
    assert relay.relay_once() == 5
    relay._reset_producer()
    assert [e["payload"]["n"] for e in _drain(amqp_uri, "probe")] == [0, 1, 2, 3, 4]


def test_an_event_no_queue_receives_is_kept_not_dropped(engine, amqp_uri) -> None:
    factory = outbox_sessionmaker(engine, metadata)
    with transaction(factory) as session:
        envelope = record_event(session, "nobody.listens", {"x": 1}, producer="test",
                                company_id=None)
    relay = OutboxRelay(engine, outbox, amqp_uri)
    assert relay.relay_once() == 1
    relay._reset_producer()
    assert _drain(amqp_uri, unrouted_queue.name) == [envelope]


# -- pruning: the outbox and inbox do not grow forever; an unsent event is never dropped --
def _record(engine, count: int, created: datetime | None = None) -> list[str]:
    factory = outbox_sessionmaker(engine, metadata)
    ids = []
    with transaction(factory) as session:
        for n in range(count):
            ids.append(record_event(session, "thing.happened", {"n": n}, producer="test",
                                    company_id=None)["id"])
    if created is not None:
        with engine.begin() as conn:
            conn.execute(update(outbox).where(outbox.c.event_id.in_(ids))
                         .values(created_at=created))
    return ids


def _left(engine) -> set[str]:
    with engine.connect() as conn:
        return set(conn.scalars(select(outbox.c.event_id)))


def test_pruning_deletes_only_events_sent_before_the_retention(engine, amqp_uri,
                                                               monkeypatch) -> None:
    long_ago = datetime.now(UTC) - timedelta(days=400)
    sent_long_ago = _record(engine, 3, long_ago)
    relay = OutboxRelay(engine, outbox, amqp_uri)
    assert relay.relay_once() == 3
    with engine.begin() as conn:
        conn.execute(update(outbox).values(sent_at=long_ago))
    sent_lately = _record(engine, 2)
    assert relay.relay_once() == 2
    relay._reset_producer()
    never_sent = _record(engine, 2, long_ago)  # e.g. the broker was away all along

    monkeypatch.setenv("WECARE_OUTBOX_RETENTION_DAYS", "30")
    db = Database(SCHEMA, metadata)  # what every service's hourly pruning calls
    db.setup()
    try:
        assert db.prune()["outbox"] == 3
    finally:
        db.engine.dispose()
    assert _left(engine) == set(sent_lately) | set(never_sent)
    assert not set(sent_long_ago) & _left(engine)
    # a retention of nothing at all still keeps every event not yet sent
    assert prune_sent(engine, outbox, older_than=timedelta(0),
                      now=datetime.now(UTC) + timedelta(seconds=1)) == 2
    assert _left(engine) == set(never_sent)
    assert _unsent(engine) == 2


def test_pruning_while_the_relay_publishes_loses_no_event(engine, amqp_uri, monkeypatch) -> None:
    """Pruning with no retention at all, between and during the relay's batches: every
    event written reaches its queue."""
    _bind_probe_queue(amqp_uri, "thing.happened")
    monkeypatch.setattr(OutboxRelay, "batch_size", 7)
    relay = OutboxRelay(engine, outbox, amqp_uri)
    written: list[str] = []
    pruned = 0
    for _ in range(6):
        written += _record(engine, 5)
        pruned += prune_sent(engine, outbox, older_than=timedelta(0),
                             now=datetime.now(UTC) + timedelta(seconds=1))
        relay.relay_once()
    while relay.relay_once():
        pruned += prune_sent(engine, outbox, older_than=timedelta(0),
                             now=datetime.now(UTC) + timedelta(seconds=1))
    relay._reset_producer()
    assert [e["id"] for e in _drain(amqp_uri, "probe")] == written
    assert pruned + len(_left(engine)) == len(written) and _unsent(engine) == 0


def test_the_inbox_forgets_events_handled_before_its_retention(engine, monkeypatch) -> None:
    factory = outbox_sessionmaker(engine, metadata)
    with transaction(factory) as session:
        session.execute(inbox.delete())
        for event_id in ("old", "new"):
            assert first_delivery(session, inbox, event_id, "wallet.on_granted")
        assert first_delivery(session, inbox, "old", "notifications.on_granted")
    with engine.begin() as conn:
        conn.execute(update(inbox).where(inbox.c.event_id == "old",
                                         inbox.c.consumer == "wallet.on_granted")
                     .values(handled_at=datetime.now(UTC) - timedelta(days=40)))
    monkeypatch.setenv("WECARE_INBOX_RETENTION_DAYS", "30")
    assert prune_handled(engine, inbox) == 1
    with engine.connect() as conn:
        kept = set(conn.execute(select(inbox.c.event_id, inbox.c.consumer)).tuples())
    # the other consumer's record of the same event was handled lately: it stays
    assert kept == {("new", "wallet.on_granted"), ("old", "notifications.on_granted")}


def test_the_relay_recovers_when_its_connection_is_closed_under_it(engine, amqp_uri) -> None:
    """The broker closed the relay's connection (RabbitMQ restarted or forced it shut,
    noticed mid-publish): the next batch goes out on a new connection, rather than each
    failing on the dead one ("basic_publish: connection closed", an AMQP error and not
    an OSError, left the broken producer in place until the process restarted)."""
    import eventlet

    _bind_probe_queue(amqp_uri, "thing.happened")
    relay = OutboxRelay(engine, outbox, amqp_uri, poll_interval=0.1)
    runner = eventlet.spawn(relay.run)
    try:
        first = _record(engine, 1)
        _wait_unsent(engine, 0)
        relay._conn.connection.close()  # the connection under the relay's producer, gone
        second = _record(engine, 1)
        relay.wake()
        _wait_unsent(engine, 0, timeout=30)
    finally:
        relay.stop()
        runner.wait()
    assert [e["id"] for e in _drain(amqp_uri, "probe")] == first + second


def _wait_unsent(engine, count: int, timeout: float = 10) -> None:
    import time

    import eventlet

    deadline = time.monotonic() + timeout
    while _unsent(engine) != count:
        assert time.monotonic() < deadline, f"{_unsent(engine)} events still unsent"
        eventlet.sleep(0.1)


def test_a_stopping_relay_publishes_what_was_committed_last(engine, amqp_uri) -> None:
    """A service stopping (docs/operations.md#stopping): its last workers commit, then
    nameko stops the database provider, and with it the relay. What they committed goes
    out before the process exits, not when another replica's relay next looks (and, with
    no other replica, not only when this one starts again)."""
    import eventlet

    _bind_probe_queue(amqp_uri, "thing.happened")
    relay = OutboxRelay(engine, outbox, amqp_uri, poll_interval=30)  # it would not look again
    runner = eventlet.spawn(relay.run)
    eventlet.sleep(0.5)  # idle: nothing to send
    last = _record(engine, 2)  # committed by the last workers, the relay not woken
    relay.stop(timeout=10)
    assert runner.dead
    assert _unsent(engine) == 0
    assert [e["id"] for e in _drain(amqp_uri, "probe")] == last
