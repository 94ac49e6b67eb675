"""A voucher accepted twice at the counter (docs/offline.md#the-rules-that-keep-money-right):
the provider is told once, in the feed and by email in its language, however often the
event arrives; turning non-essential email off does not silence it (a voucher's word).
On SQLite, as `make run` has it: no server needed."""

from __future__ import annotations

from collections.abc import Iterator
from email import message_from_bytes
from email.message import Message as Email
from email.policy import default

import pytest
from notifications import domain
from notifications.models import Base, Notification
from sqlalchemy import select
from sqlalchemy.orm import Session
from wecare_common.contract import events
from wecare_common.db import make_engine
from wecare_common.events import make_envelope

PROVIDER = "6f1c3c52-0d5e-4d55-9a43-3c1f3e0c9b11"
ACCEPTED_AGAIN = {
    "voucher_id": "v-1", "provider_id": PROVIDER, "code": "7ZQW-FRJX-W0H4-M6XQ-W",
    "title": "Retta mensile", "category": "education", "amount_cents": 6_000,
    "first_accepted_at": "2026-12-07T09:14:03+00:00", "first_offline": True,
    "accepted_at": "2026-12-07T09:34:00+00:00", "received_at": "2026-12-07T12:00:00+00:00"}


@pytest.fixture
def session(tmp_path) -> Iterator[Session]:
    engine = make_engine("notifications", f"sqlite:///{tmp_path / 'notifications.db'}")
    Base.metadata.create_all(engine)
    with Session(engine) as s:
        yield s
    engine.dispose()


class Outbox:
    """A mail server that takes everything: what it was handed."""

    def __init__(self) -> None:
        self.sent: list[Email] = []

    def send_many(self, emails: list[tuple[str, bytes]]) -> list[Exception | None]:
        self.sent += [message_from_bytes(raw, policy=default) for _, raw in emails]
        return [None] * len(emails)


def _provider_known(session: Session, language: str, non_essential_email: bool) -> None:
    registered = make_envelope(events.PROVIDER_REGISTERED, {
        "id": PROVIDER, "name": "Asilo Girasole", "email": "nido@girasole.test",
        "status": "pending"}, producer="catalog", company_id=None)
    assert domain.tell(session, [domain.told(registered)], Outbox().send_many) == [None]
    domain.set_preferences(session, f"provider:{PROVIDER}", {
        "language": language, "non_essential_email": non_essential_email})
    session.commit()


def test_the_provider_is_told_once_however_often_the_event_arrives(session) -> None:
    _provider_known(session, "en", non_essential_email=False)
    event = make_envelope(events.VOUCHER_ACCEPTED_AGAIN, ACCEPTED_AGAIN, producer="wallet",
                          company_id="c-1")
    mail = Outbox()
    # delivered twice together (two replicas of the relay), then once more later
    assert domain.tell(session, [domain.told(event), domain.told(event)],
                       mail.send_many) == [None, None]
    assert domain.tell(session, [domain.told(event)], mail.send_many) == [None]

    rows = session.scalars(select(Notification).where(
        Notification.event_id == event["id"])).all()
    assert [(n.recipient, n.kind, n.email_status) for n in rows] == [
        (f"provider:{PROVIDER}", "voucher_accepted_again", "sent")]
    (email,) = mail.sent
    assert email["To"] == "nido@girasole.test"
    assert email["Subject"] == "Voucher accepted twice, paid once: 7ZQW-FRJX-W0H4-M6XQ-W"
    text = email.get_body(preferencelist=("plain",)).get_content()
    # when each phone accepted it, in Italian time; paid once; what to do
    assert "first on 7 December 2026 at 10:14, by one of your phones" in text
    assert "again on 7 December 2026 at 10:34" in text
    assert "paid once only" in text and "contact WeCare's operators" in text
    feed = domain.feed(session, [f"provider:{PROVIDER}"], limit=10, cursor=None)["items"]
    assert [n["kind"] for n in feed] == ["voucher_accepted_again"]


def test_in_italian_by_default_saying_the_first_was_online(session) -> None:
    _provider_known(session, "it", non_essential_email=True)
    event = make_envelope(events.VOUCHER_ACCEPTED_AGAIN, {
        **ACCEPTED_AGAIN, "first_offline": False}, producer="wallet", company_id="c-1")
    mail = Outbox()
    assert domain.tell(session, [domain.told(event)], mail.send_many) == [None]
    (email,) = mail.sent
    assert email["Subject"] == "Voucher accettato due volte, pagato una volta: " \
        "7ZQW-FRJX-W0H4-M6XQ-W"
    text = email.get_body(preferencelist=("plain",)).get_content()
    assert "la prima il 7 dicembre 2026 alle 10:14, con la rete" in text
    assert "pagato una volta sola" in text and "60,00\xa0€" in text


def test_a_payload_without_the_times_is_refused() -> None:
    incomplete = make_envelope(events.VOUCHER_ACCEPTED_AGAIN, {
        k: v for k, v in ACCEPTED_AGAIN.items() if k != "accepted_at"}, producer="wallet",
        company_id="c-1")
    with pytest.raises(Exception, match="accepted_at"):
        domain.told(incomplete)
