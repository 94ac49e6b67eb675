"""The transactional outbox and its relay, on real PostgreSQL and RabbitMQ."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from kombu import Connection
from sqlalchemy import Column, Integer, MetaData, String, Table, func, select
from wecare_common.db import ensure_schema, make_engine, transaction
from wecare_common.outbox import OutboxRelay, outbox_sessionmaker, outbox_table, record_event
from wecare_common.topology import consumer_queue, declare_backbone, unrouted_queue

SCHEMA = "outbox_probe"
metadata = MetaData()
items = Table("items", metadata, Column("id", Integer, primary_key=True),
              Column("name", String(50)))
outbox = outbox_table(metadata)


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


def _unsent(engine) -> int:  # type: ignore[no-untyped-def]
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
