"""Events told together: each worker hands its event to one green thread, which
tells every event waiting at that moment in one round (domain.tell: one
transaction recording them, their emails over one SMTP connection, one marking
them sent) and gives each worker its own outcome. The consumer's ack, retry and
parking stay per event; a lone event goes at once, and under load the batches
grow by themselves (up to the workers the service runs)."""

from __future__ import annotations

import logging
from typing import Any

from eventlet.event import Event
from eventlet.queue import Empty, LightQueue
from nameko.extensions import DependencyProvider
from wecare_common import tracing
from wecare_common.db import Database

from notifications import domain
from notifications.mailer import MailerProvider

log = logging.getLogger(__name__)


class Teller(DependencyProvider):
    """`self.tell(domain.Told(...))` in a worker: returns once the event is told,
    raises what stops it (retried by the consumer)."""

    def __init__(self, max_events: int = 100) -> None:
        self.max_events = max_events
        self.queue: LightQueue = LightQueue()
        self.running = False

    def start(self) -> None:
        deps = self.container.dependencies
        self.db = next(d for d in deps if isinstance(d, Database))
        self.smtp = next(d for d in deps if isinstance(d, MailerProvider))
        self.running = True
        self.container.spawn_managed_thread(self._run, identifier="teller")

    def stop(self) -> None:  # after the workers finished: nobody waits any more
        self.running = False
        self.queue.put(None)

    def kill(self) -> None:
        self.stop()

    def get_dependency(self, worker_ctx: Any) -> Any:
        return self.tell

    def tell(self, told: domain.Told) -> None:
        done = Event()
        # the worker's trace context goes with it: the round is traced under the first
        # event's, linked to the others' (docs/operations.md#traces)
        self.queue.put((told, done, tracing.current()))
        error = done.wait()
        if error is not None:
            raise error

    def _run(self) -> None:
        while self.running:
            batch = [item] if (item := self.queue.get()) is not None else []
            while batch and len(batch) < self.max_events:
                try:
                    item = self.queue.get_nowait()
                except Empty:
                    break
                if item is not None:
                    batch.append(item)
            if batch:
                self._tell(batch)

    def _tell(self, batch: list[tuple[domain.Told, Event, object]]) -> None:
        contexts = [context for _, _, context in batch]
        try:
            with tracing.span("notifications tell", parent=contexts[0], links=contexts[1:],
                              attributes={"messaging.batch.message_count": len(batch)}):
                session = self.db.new_session()
                try:
                    outcomes = domain.tell(session, [told for told, _, _ in batch],
                                           self.smtp.mailer.send_many)
                finally:
                    session.rollback()
                    session.close()
        except Exception as exc:  # noqa: BLE001 - each event retried by its consumer
            log.warning("telling %d event(s) failed: %r", len(batch), exc)
            outcomes = [exc] * len(batch)
        for (_, done, _), outcome in zip(batch, outcomes, strict=True):
            done.send(outcome)
