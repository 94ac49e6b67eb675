"""The RabbitMQ topology every service agrees on (docs/architecture.md#event-plumbing).

- `wecare.events`: a durable topic exchange, routing key = event type. Its
  alternate exchange `wecare.unrouted` keeps, in queue `wecare.unrouted`,
  every event that no queue was bound to receive: nothing vanishes silently.
- One quorum queue per consumer (`<service>.<method>`), bound by event type,
  dead-lettering to `wecare.dead` → queue `wecare.dead-letter`, where an
  operator can inspect and replay (`python -m wecare_common.dlq`).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from kombu import Connection, Exchange, Queue, binding

from wecare_common.events import (
    DEAD_LETTER_EXCHANGE,
    DEAD_LETTER_QUEUE,
    EVENTS_EXCHANGE,
    UNROUTED_EXCHANGE,
    UNROUTED_QUEUE,
)

# Deliveries of one message before the broker itself dead-letters it; the
# consumer parks a message after MAX_ATTEMPTS, well before this safety net.
DELIVERY_LIMIT = 20

unrouted_exchange = Exchange(UNROUTED_EXCHANGE, type="fanout", durable=True)
events_exchange = Exchange(
    EVENTS_EXCHANGE,
    type="topic",
    durable=True,
    arguments={"alternate-exchange": UNROUTED_EXCHANGE},
)
dead_letter_exchange = Exchange(DEAD_LETTER_EXCHANGE, type="fanout", durable=True)
unrouted_queue = Queue(
    UNROUTED_QUEUE, exchange=unrouted_exchange, durable=True,
    queue_arguments={"x-queue-type": "quorum"},
)
dead_letter_queue = Queue(
    DEAD_LETTER_QUEUE, exchange=dead_letter_exchange, durable=True,
    queue_arguments={"x-queue-type": "quorum"},
)


class EventBinding:
    """What the topology knows of an event consumer: the event types it takes and
    how its queue is named. `wecare_common.consumer.EventConsumer` is one; this
    module never imports the consumer (the dependency runs one way only)."""

    event_types: tuple[str, ...] = ()

    @staticmethod
    def queue_name_for(service_name: str, method_name: str) -> str:
        return f"{service_name}.{method_name}"


def consumer_queue(name: str, event_types: Iterable[str]) -> Queue:
    return Queue(
        name,
        bindings=[binding(events_exchange, routing_key=t) for t in event_types],
        durable=True,
        queue_arguments={
            "x-queue-type": "quorum",
            "x-dead-letter-exchange": DEAD_LETTER_EXCHANGE,
            "x-delivery-limit": DELIVERY_LIMIT,
        },
    )


def retry_queue(name: str) -> Queue:
    """Where a failed delivery waits out its backoff (per-message expiration),
    then returns to its consumer's queue through the default exchange."""
    return Queue(
        f"{name}.retry",
        durable=True,
        queue_arguments={
            "x-dead-letter-exchange": "",
            "x-dead-letter-routing-key": name,
        },
    )


def declare_backbone(channel: Any) -> None:
    """Declare the exchanges and the two keeping queues (idempotent)."""
    for entity in (unrouted_exchange, dead_letter_exchange, events_exchange,
                   unrouted_queue, dead_letter_queue):
        entity.bind(channel).declare()


def consumer_queues_of(service_cls: type[Any]) -> list[Queue]:
    """The queues the event consumers (EventBinding entrypoints, such as
    EventConsumer) of a nameko service class use."""
    queues = []
    for name in dir(service_cls):
        for entrypoint in getattr(getattr(service_cls, name), "nameko_entrypoints", ()):
            if isinstance(entrypoint, EventBinding):
                queues.append(consumer_queue(
                    entrypoint.queue_name_for(service_cls.name, name), entrypoint.event_types
                ))
    return queues


def declare_all(amqp_uri: str, service_classes: Iterable[type]) -> list[str]:
    """Declare the backbone and every consumer's queue up front, so an event
    published before a consumer first starts still reaches it."""
    declared = []
    with Connection(amqp_uri) as conn:
        channel = conn.channel()
        declare_backbone(channel)
        for cls in service_classes:
            for queue in consumer_queues_of(cls):
                queue.bind(channel).declare()
                retry_queue(queue.name).bind(channel).declare()
                declared.append(queue.name)
    return declared
