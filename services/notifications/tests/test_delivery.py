"""Email delivery against real SMTP servers: a failure is retried, then shown
as failed and parked, and an operator's retry sends it; nothing is lost."""

from __future__ import annotations

import time

from kombu import Connection
from notifications.models import Notification
from notifications.service import NotificationsService
from sqlalchemy import select
from wecare_common.db import make_engine
from wecare_common.dlq import list_parked
from wecare_common.events import make_envelope
from wecare_common.topology import declare_backbone, events_exchange


def test_an_smtp_outage_is_retried_then_visible_and_retryable(
        database_url, rabbit_config, container_factory, smtp_sink, fake, monkeypatch) -> None:
    from support import free_port

    monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{free_port()}")  # nobody listens
    container = container_factory(NotificationsService)
    container.start()
    email = fake.email("outage")
    envelope = make_envelope("employee.enrolled", {
        "id": fake.fiscal_code(), "email": email, "first_name": "Ada", "last_name": "Neri",
        "language": "it"}, producer="benefits", company_id="c1")
    with Connection(rabbit_config) as conn:
        declare_backbone(conn.channel())
        conn.Producer().publish(envelope, exchange=events_exchange,
                                routing_key="employee.enrolled", serializer="json")

    engine = make_engine("notifications", database_url)
    deadline = time.monotonic() + 30
    while True:
        with engine.connect() as db:
            row = db.execute(select(Notification.email_status, Notification.email_attempts,
                                    Notification.email_error).where(
                Notification.event_id == envelope["id"])).first()
        if row and row.email_status == "failed":
            break
        assert time.monotonic() < deadline, row
        time.sleep(0.2)
    assert row.email_attempts == 5 and "ConnectionRefused" in row.email_error
    parked = list_parked(rabbit_config)
    assert [p["body"]["id"] for p in parked] == [envelope["id"]]

    # the mail server is back: an operator retries the failed emails
    (mailer,) = [d for d in container.extensions if hasattr(d, "mailer")]
    mailer.mailer.url = mailer.mailer.url._replace(netloc=smtp_sink.url.split("//")[1])
    from nameko.standalone.rpc import ServiceRpcClient

    with ServiceRpcClient("notifications") as notifications:
        assert notifications.failed_emails()[0]["email_to"] == email
        assert notifications.retry_failed_emails() == 1
        assert notifications.failed_emails() == []
    assert smtp_sink.wait_for(lambda m: m["To"] == email)
    engine.dispose()
