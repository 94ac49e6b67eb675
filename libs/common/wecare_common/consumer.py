"""The entrypoint that consumes events (docs/architecture.md#event-plumbing).

    @handle_event("credits.granted")
    def on_credits_granted(self, event): ...

Each handler has its own quorum queue `<service>.<method>`. The envelope is
validated before a worker starts; one that fails is parked at once with the
reason. A handler that raises is retried with backoff: the message waits in
`<queue>.retry` (it expires back into the queue), so no worker sleeps on it;
after `max_attempts` the message is parked in the dead-letter queue, its body
intact and the reason in its headers. Nothing is acked into oblivion.

Stopping (docs/operations.md#stopping): the consumer cancels (the broker sends no
more), puts back what arrives meanwhile, and keeps its connection until every
message it handed to a worker is acked, so a message being handled is finished
once rather than cut off and handled again by another replica.
"""

from __future__ import annotations

import logging
import time
import traceback
from typing import Any

import eventlet
from eventlet.event import Event
from kombu import Connection
from marshmallow import ValidationError
from nameko.amqp.consume import Consumer as ConsumerCore
from nameko.messaging import Consumer

from wecare_common import metrics
from wecare_common.events import load_envelope
from wecare_common.lifecycle import stop_seconds
from wecare_common.topology import (
    EventBinding,
    consumer_queue,
    dead_letter_exchange,
    declare_backbone,
    retry_queue,
)

log = logging.getLogger(__name__)


ATTEMPTS = "x-wecare-attempts"
MAX_BACKOFF = 60.0


class PermanentError(Exception):
    """A handler failure that no retry can mend (parked at once)."""


def park(amqp_uri: str, message: Any, queue_name: str, reason: str, attempts: int) -> None:
    """Publish a copy of `message` to the dead-letter exchange, with confirms."""
    headers = dict(message.headers or {})
    headers.update({
        "x-wecare-queue": queue_name,
        "x-wecare-error": reason[-2000:],
        "x-wecare-attempts": attempts,
    })
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        producer = conn.Producer()
        producer.publish(
            message.body,
            exchange=dead_letter_exchange,
            routing_key=queue_name,
            content_type=message.content_type,
            content_encoding=message.content_encoding,
            headers=headers,
            delivery_mode=2,
            message_id=message.properties.get("message_id"),
            type=message.properties.get("type"),
            declare=[dead_letter_exchange],
        )


def retry_later(amqp_uri: str, message: Any, retry_queue_name: str, attempts: int,
                delay: float) -> None:
    """Publish a copy, with confirms, that comes back to the queue after `delay` s."""
    headers = {k: v for k, v in (message.headers or {}).items() if k != "x-delivery-count"}
    headers[ATTEMPTS] = attempts
    with Connection(amqp_uri, transport_options={"confirm_publish": True}) as conn:
        conn.Producer().publish(
            message.body, exchange="", routing_key=retry_queue_name,
            content_type=message.content_type, content_encoding=message.content_encoding,
            headers=headers, delivery_mode=2, expiration=delay,
            message_id=message.properties.get("message_id"), type=message.properties.get("type"))


class SettlingConsumer(ConsumerCore):
    """nameko's AMQP consumer, which on stop closes its connection as soon as its
    loop notices (within a second), acks of the messages still being handled then
    going nowhere: the broker hands them to another replica, which handles them a
    second time. This one waits, after cancelling, until each message it handed
    over is settled (acked, retried or parked, or put back), up to
    `lifecycle.stop_seconds()`; then closes."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.unsettled: set[int] = set()  # delivery tags handed to a worker
        self.finished = Event()
        self.running = False

    def run(self, *args: Any, **kwargs: Any) -> None:
        self.running = True
        try:
            super().run(*args, **kwargs)
        finally:
            self.finished.send(True)

    def on_connection_revived(self) -> None:
        self.unsettled.clear()  # a new channel: the old one's messages went back

    def on_message(self, body: Any, message: Any) -> None:
        if not self.should_stop:
            self.unsettled.add(message.delivery_tag)
        super().on_message(body, message)  # after stop: put back at once

    def ack_message(self, message: Any) -> None:
        super().ack_message(message)
        self.unsettled.discard(message.delivery_tag)

    def requeue_message(self, message: Any) -> None:
        super().requeue_message(message)
        self.unsettled.discard(message.delivery_tag)

    def on_consume_end(self, connection: Any, channel: Any) -> None:
        """Cancelled: no delivery comes any more; the connection closes after this."""
        deadline = time.monotonic() + stop_seconds()
        while self.unsettled and time.monotonic() < deadline:
            eventlet.sleep(0.02)
        if self.unsettled:
            log.warning("stopping with %d message(s) unsettled: they go back to the queue",
                        len(self.unsettled))


class EventConsumer(EventBinding, Consumer):
    consumer_cls = SettlingConsumer

    def __init__(self, *event_types: str, max_attempts: int = 5,
                 backoff: float = 0.2, **kwargs: Any) -> None:
        self.event_types = event_types
        self.max_attempts = max_attempts
        self.backoff = backoff
        super().__init__(queue=None, requeue_on_error=True, **kwargs)

    @property
    def queue_name(self) -> str:
        return self.queue_name_for(self.container.service_name, self.method_name)

    def setup(self) -> None:
        self.queue = consumer_queue(self.queue_name, self.event_types)
        self.retry_queue = retry_queue(self.queue_name)
        with Connection(self.amqp_uri) as conn:
            channel = conn.channel()
            declare_backbone(channel)
            self.retry_queue.bind(channel).declare()
        super().setup()

    def stop(self) -> None:
        """Returns once the consumer has settled what it held and closed (or the stop
        budget has passed)."""
        self.consumer.stop()
        if not self.consumer.running:
            return
        with eventlet.Timeout(stop_seconds() + 2, False):
            self.consumer.finished.wait()

    def handle_message(self, body: Any, message: Any) -> None:
        try:
            event = load_envelope(body)
        except ValidationError as exc:
            park(self.amqp_uri, message, self.queue_name,
                 f"invalid envelope: {exc.messages}", attempts=1)
            metrics.child(metrics.EVENTS_PARKED, self.queue_name, "invalid").inc()
            self.consumer.ack_message(message)
            return
        message.wecare_started = time.perf_counter()
        super().handle_message(event, message)

    def handle_message_processed(self, message: Any, result: Any = None,
                                 exc_info: Any = None) -> None:
        event_type = message.properties.get("type") or "unknown"
        started = getattr(message, "wecare_started", None)
        if started is not None:
            metrics.child(metrics.EVENT_HANDLING, self.queue_name).observe(
                time.perf_counter() - started)
        if exc_info is None:
            self.consumer.ack_message(message)
            metrics.child(metrics.EVENTS_CONSUMED, self.queue_name, event_type).inc()
            return
        exc = exc_info[1]
        headers = message.headers or {}
        # Tries so far: those counted on the retries we published, plus the
        # broker's count of redeliveries of this copy (a worker that crashed).
        attempts = (int(headers.get(ATTEMPTS, 0)) + int(headers.get("x-delivery-count", 0))
                    + 1)
        permanent = isinstance(exc, PermanentError | ValidationError)
        if permanent or attempts >= self.max_attempts:
            reason = "".join(traceback.format_exception_only(type(exc), exc)).strip()
            log.error("parking %s after %d attempt(s): %s", self.queue_name, attempts, reason)
            try:
                park(self.amqp_uri, message, self.queue_name, reason, attempts)
            except Exception:  # noqa: BLE001 - cannot park: leave it to the broker
                log.exception("cannot park; requeueing")
                self.consumer.requeue_message(message)
                return
            self.consumer.ack_message(message)
            metrics.child(metrics.EVENTS_PARKED, self.queue_name, event_type).inc()
            return
        delay = min(self.backoff * 2 ** (attempts - 1), MAX_BACKOFF)
        try:
            retry_later(self.amqp_uri, message, self.retry_queue.name, attempts, delay)
        except Exception:  # noqa: BLE001 - cannot schedule: the broker redelivers it
            log.exception("cannot schedule a retry; requeueing")
            self.consumer.requeue_message(message)
            return
        self.consumer.ack_message(message)
        metrics.child(metrics.EVENTS_RETRIED, self.queue_name, event_type).inc()


handle_event = EventConsumer.decorator

