"""Idempotent consumers, retries and the dead-letter queue, on a real broker."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from kombu import Connection
from nameko.testing.services import entrypoint_waiter
from sqlalchemy import Column, MetaData, String, Table, func, select
from wecare_common.consumer import handle_event
from wecare_common.db import Database, ensure_schema, make_engine
from wecare_common.dlq import list_parked, replay
from wecare_common.events import DEAD_LETTER_QUEUE, make_envelope
from wecare_common.inbox import first_delivery, inbox_table
from wecare_common.topology import declare_backbone, events_exchange

SCHEMA = "consumer_probe"
metadata = MetaData()
effects = Table("effects", metadata, Column("event_id", String(36), primary_key=True))
inbox = inbox_table(metadata)


class Counter:
    name = "counter"
    db = Database(SCHEMA, metadata)

    @handle_event("thing.happened")
    def on_thing(self, event: dict) -> None:
        if first_delivery(self.db, inbox, event["id"], "counter.on_thing"):
            self.db.execute(effects.insert().values(event_id=event["id"]))
        self.db.commit()


class AlwaysFailing:
    name = "failing"

    @handle_event("thing.failed", max_attempts=3, backoff=0.01)
    def on_fail(self, event: dict) -> None:
        raise RuntimeError(f"cannot handle {event['payload']['n']}")


@pytest.fixture
def engine(database_url: str) -> Iterator:
    engine = make_engine(SCHEMA, database_url)
    ensure_schema(engine, SCHEMA)
    metadata.drop_all(engine)
    metadata.create_all(engine)
    yield engine
    engine.dispose()


def publish(amqp_uri: str, body: object, routing_key: str) -> None:
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        declare_backbone(conn.channel())
        conn.Producer().publish(body, exchange=events_exchange, routing_key=routing_key,
                                serializer="json")


def parked(amqp_uri: str, timeout: float = 20) -> list[dict]:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        found = list_parked(amqp_uri)
        if found:
            return found
        time.sleep(0.2)
    return []


def test_a_duplicate_delivery_has_one_effect(engine, rabbit_config, container_factory) -> None:
    container = container_factory(Counter)
    container.start()
    envelope = make_envelope("thing.happened", {}, producer="test", company_id=None)
    for _ in range(3):
        with entrypoint_waiter(container, "on_thing", timeout=10):
            publish(rabbit_config, envelope, "thing.happened")
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(effects)) == 1
        assert conn.scalar(select(func.count()).select_from(inbox)) == 1


def test_a_handler_that_keeps_failing_ends_in_the_dead_letter_queue_intact(
        rabbit_config, container_factory) -> None:
    container = container_factory(AlwaysFailing)
    container.start()
    envelope = make_envelope("thing.failed", {"n": 7}, producer="test", company_id=None)
    publish(rabbit_config, envelope, "thing.failed")
    found = parked(rabbit_config)
    assert len(found) == 1
    assert found[0]["body"] == envelope
    assert found[0]["queue"] == "failing.on_fail"
    assert found[0]["attempts"] == 3
    assert "RuntimeError: cannot handle 7" in found[0]["error"]
    # Listing leaves it parked; an operator's replay sends it back to its queue.
    assert len(list_parked(rabbit_config)) == 1
    container.stop()
    assert replay(rabbit_config) == 1
    with Connection(rabbit_config) as conn:
        message = conn.SimpleQueue("failing.on_fail", queue_opts={"no_declare": True}).get(
            timeout=5)
        assert message.payload == envelope
        message.ack()


def test_an_event_that_fails_its_schema_is_parked_with_the_reason(
        engine, rabbit_config, container_factory) -> None:
    container = container_factory(Counter)
    container.start()
    publish(rabbit_config, {"type": "thing.happened", "payload": "not a dict"},
            "thing.happened")
    found = parked(rabbit_config)
    assert len(found) == 1
    assert found[0]["error"].startswith("invalid envelope")
    assert "payload" in found[0]["error"]
    with engine.connect() as conn:
        assert conn.scalar(select(func.count()).select_from(effects)) == 0


def test_the_dead_letter_queue_is_a_known_queue() -> None:
    assert DEAD_LETTER_QUEUE == "wecare.dead-letter"


class Picky:
    name = "picky"
    db = Database(SCHEMA, metadata)

    @handle_event("thing.picked", max_attempts=3, backoff=2.0)
    def on_pick(self, event: dict) -> None:
        if event["payload"]["n"] == 1:
            raise RuntimeError("not this one")
        self.db.execute(effects.insert().values(event_id=event["id"]))
        self.db.commit()


def test_a_retry_waits_in_the_broker_not_in_a_worker(engine, rabbit_config,
                                                     container_factory) -> None:
    """With one worker, an event that fails (2 s backoff) does not hold up the next."""
    container = container_factory(Picky, {"max_workers": 1, "AMQP_URI": rabbit_config})
    container.start()
    failing = make_envelope("thing.picked", {"n": 1}, producer="test", company_id=None)
    good = make_envelope("thing.picked", {"n": 2}, producer="test", company_id=None)
    publish(rabbit_config, failing, "thing.picked")
    start = time.monotonic()
    with entrypoint_waiter(container, "on_pick", timeout=10,
                           callback=lambda worker_ctx, result, exc_info: exc_info is None):
        publish(rabbit_config, good, "thing.picked")
    # handled before the failing one's first retry was even due: no worker waited on it
    assert time.monotonic() - start < Picky.on_pick.nameko_entrypoints.copy().pop().backoff
    found = parked(rabbit_config, timeout=30)
    assert [p["body"]["id"] for p in found] == [failing["id"]]
    assert found[0]["attempts"] == 3
