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
        "id": fake.fiscal_code(), "company_id": "c1", "email": email, "first_name": "Ada",
        "last_name": "Neri", "language": "it"}, producer="benefits", company_id="c1")
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


def _publish(amqp_uri: str, *envelopes: dict) -> None:
    with Connection(amqp_uri) as conn:
        declare_backbone(conn.channel())
        for envelope in envelopes:
            conn.Producer().publish(envelope, exchange=events_exchange,
                                    routing_key=envelope["type"], serializer="json")


def _rows(database_url: str, event_id: str) -> list:
    engine = make_engine("notifications", database_url)
    with engine.connect() as db:
        rows = db.execute(select(Notification.recipient, Notification.email_status,
                                 Notification.email_to).where(
            Notification.event_id == event_id)).all()
    engine.dispose()
    return rows


def test_a_payload_that_fails_its_schema_is_parked_with_the_reason_and_nothing_written(
        database_url, rabbit_config, container_factory, smtp_sink) -> None:
    container_factory(NotificationsService).start()
    bad = make_envelope("credits.granted", {  # no amount_cents
        "grant_id": "g1", "plan_id": "p1", "plan_name": "Welfare", "valid_until": "2026-12-31",
        "source": "company", "employee_ids": ["e1"]}, producer="benefits", company_id="c1")
    _publish(rabbit_config, bad)
    deadline = time.monotonic() + 20
    while not (parked := list_parked(rabbit_config)):
        assert time.monotonic() < deadline, "the event was not parked"
        time.sleep(0.2)
    assert [p["body"]["id"] for p in parked] == [bad["id"]]
    assert "amount_cents" in parked[0]["error"] and parked[0]["attempts"] == 1
    assert _rows(database_url, bad["id"]) == []


def test_someone_without_an_email_address_still_gets_the_feed_entry(
        database_url, rabbit_config, container_factory, smtp_sink, fake) -> None:
    container_factory(NotificationsService).start()
    employee = fake.fiscal_code()
    enrolled = make_envelope("employee.enrolled", {
        "id": employee, "company_id": "c1", "email": None, "first_name": "Ada",
        "last_name": "Neri", "language": "it"}, producer="benefits", company_id="c1")
    granted = make_envelope("credits.granted", {
        "grant_id": "g1", "plan_id": "p1", "plan_name": "Welfare", "valid_until": "2026-12-31",
        "source": "company", "amount_cents": 25_000, "employee_ids": [employee]},
        producer="benefits", company_id="c1")
    _publish(rabbit_config, enrolled, granted)
    deadline = time.monotonic() + 20
    while not (rows := _rows(database_url, granted["id"])):
        assert time.monotonic() < deadline, "no feed entry"
        time.sleep(0.2)
    assert [tuple(r) for r in rows] == [(f"employee:{employee}", "skipped", None)]
    assert list_parked(rabbit_config) == []


def test_an_event_for_more_recipients_than_a_batch_tells_each_once(
        database_url, rabbit_config, container_factory, smtp_sink, fake, monkeypatch) -> None:
    """More rounds than are sent at once (SENDERS): each recipient's email once."""
    from notifications.domain import BATCH, SENDERS
    from notifications.models import Recipient
    from sqlalchemy import insert

    monkeypatch.setenv("SMTP_URL", smtp_sink.url)
    container_factory(NotificationsService).start()
    employees = [fake.fiscal_code() for _ in range(BATCH * (SENDERS + 1) + 20)]
    engine = make_engine("notifications", database_url)
    with engine.begin() as db:
        db.execute(insert(Recipient), [
            {"key": f"employee:{e}", "email": f"{e.lower()}@batch.test", "name": "Ada",
             "language": "it", "company_id": "c1", "non_essential_email": True}
            for e in employees])
    engine.dispose()
    granted = make_envelope("credits.granted", {
        "grant_id": "g1", "plan_id": "p1", "plan_name": "Welfare", "valid_until": "2026-12-31",
        "source": "company", "amount_cents": 25_000, "employee_ids": employees + employees[:3]},
        producer="benefits", company_id="c1")
    addresses = {f"{e.lower()}@batch.test" for e in employees}

    def arrived() -> list:
        return [m["To"] for m in smtp_sink.messages() if m["To"] in addresses]

    _publish(rabbit_config, granted)
    deadline = time.monotonic() + 30
    while len(arrived()) < len(employees):
        assert time.monotonic() < deadline, f"{len(arrived())} of {len(employees)} emails"
        time.sleep(0.2)
    _publish(rabbit_config, granted)  # redelivered: nobody is told twice
    time.sleep(1)
    assert sorted(arrived()) == sorted(addresses)
    rows = _rows(database_url, granted["id"])
    assert len(rows) == len(employees) and {r.email_status for r in rows} == {"sent"}


def test_events_told_together_each_once_an_unknown_recipient_failing_only_its_event(
        database_url, smtp_sink, fake) -> None:
    import uuid

    from notifications import domain
    from notifications.mailer import Mailer
    from notifications.routes import Contact, Message
    from sqlalchemy.orm import Session

    engine = make_engine("notifications", database_url)
    people = [fake.fiscal_code() for _ in range(3)]
    told = [domain.Told(str(uuid.uuid4()), [Message(f"employee:{p}", "welcome",
                                                    {"company_name": None})],
                        Contact(f"employee:{p}", f"{p.lower()}@together.test", "Ada"), "c1")
            for p in people]
    stranger = domain.Told(str(uuid.uuid4()), [Message(
        f"employee:{fake.fiscal_code()}", "welcome", {"company_name": None})])
    told += [stranger, told[0]]  # and the first event delivered twice at once
    mailer = Mailer(smtp_sink.url)
    with Session(engine) as session:
        outcomes = domain.tell(session, told, mailer.send_many)
    assert outcomes[:3] == [None] * 3 and outcomes[4] is None
    assert isinstance(outcomes[3], domain.RecipientUnknown)
    with Session(engine) as session:  # delivered again: nobody is told twice
        assert domain.tell(session, told[:3], mailer.send_many) == [None] * 3
    addresses = {f"{p.lower()}@together.test" for p in people}
    smtp_sink.wait_for(lambda m: m["To"] in addresses and len(
        [x for x in smtp_sink.messages() if x["To"] in addresses]) >= 3)
    time.sleep(0.5)
    assert sorted(m["To"] for m in smtp_sink.messages() if m["To"] in addresses) == sorted(
        addresses)
    assert [tuple(r)[1] for t in told[:3] for r in _rows(database_url, t.event_id)] == [
        "sent"] * 3
    assert _rows(database_url, stranger.event_id) == []
    engine.dispose()


def test_a_link_email_is_kept_without_its_token_and_a_retry_sends_a_live_link(
        database_url, rabbit_config, container_factory, smtp_sink, fake, monkeypatch) -> None:
    """The stored email (and the feed) holds the link's id, which opens nothing; the
    email that leaves holds its token, made from the id as it leaves, so an operator's
    retry of a failed one still sends a working link (issue 23.4)."""
    from nameko.standalone.rpc import ServiceRpcClient
    from support import free_port
    from wecare_common.links import link_token, new_link_id

    monkeypatch.setenv("SMTP_URL", f"smtp://127.0.0.1:{free_port()}")  # nobody listens
    container = container_factory(NotificationsService)
    container.start()
    email, link_id = fake.email("invited"), new_link_id()
    token = link_token(link_id)
    invited = make_envelope("user.invited", {
        "user_id": "u-1", "email": email, "role": "employee", "name": "Ada",
        "link_id": link_id, "expires_in_hours": 168}, producer="gateway", company_id="c1")
    _publish(rabbit_config, invited)
    engine = make_engine("notifications", database_url)
    deadline = time.monotonic() + 30
    while True:
        with engine.connect() as db:
            row = db.execute(select(Notification).where(
                Notification.event_id == invited["id"])).first()
        if row and row.email_status == "failed":
            break
        assert time.monotonic() < deadline, row
        time.sleep(0.2)
    engine.dispose()
    kept = row.body_text + row.body_html + str(row.extras)
    assert f"/password/new?link={link_id}" in row.body_text
    assert token not in kept and token[len(link_id):] not in kept  # no live token kept

    (mailer,) = [d for d in container.extensions if hasattr(d, "mailer")]
    mailer.mailer.url = mailer.mailer.url._replace(netloc=smtp_sink.url.split("//")[1])
    with ServiceRpcClient("notifications") as notifications:
        assert notifications.retry_failed_emails() == 1
    (sent,) = smtp_sink.wait_for(lambda m: m["To"] == email)
    text = sent.get_body(preferencelist=("plain",)).get_content()
    html = sent.get_body(preferencelist=("html",)).get_content()
    assert f"/password/new?token={token}\n" in text and "?link=" not in text
    assert f'href="http://localhost:8000/password/new?token={token}"' in html
