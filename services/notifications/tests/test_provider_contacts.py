"""A provider's emails in the language it applied in (docs/events.md#catalogue): the
application's confirmation in the form's language, the provider's contact in the language
the catalog keeps, and an operator's decision changes no language chosen since."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from notifications.domain import Told, tell
from notifications.models import Base, Recipient
from notifications.routes import contact, messages
from sqlalchemy.orm import Session
from wecare_common.contract import events
from wecare_common.testing import memory_database

PROVIDER = {"id": "v-1", "name": "Ludoteca", "email": "ludoteca@example.test",
            "status": "pending", "commission_bps": None}


@pytest.fixture
def memory_session() -> Iterator[Session]:
    with memory_database("notifications", Base.metadata) as factory, factory() as session:
        yield session


def load(kind: str, payload: dict) -> dict:
    return events.load_payload({"type": kind, "payload": payload})


def test_the_confirmation_goes_in_the_language_of_the_form() -> None:
    applied = {"user_id": "u-1", "email": "a@example.test", "name": "Ludoteca",
               "vat_number": "45678900049", "known": False, "link_id": "l-1",
               "expires_in_hours": 24}
    told = contact(events.PROVIDER_APPLIED, load(events.PROVIDER_APPLIED,
                                                 {**applied, "language": "en"}))
    assert told is not None and (told.key, told.language) == ("applicant:u-1", "en")
    [message] = messages(events.PROVIDER_APPLIED, {**applied, "language": "en"}, None)
    assert (message.recipient, message.kind) == ("applicant:u-1", "application_confirm")
    # an event from before the language was kept: Italian, as then
    before = contact(events.PROVIDER_APPLIED, load(events.PROVIDER_APPLIED, applied))
    assert before is not None and before.language == "it"


def test_the_provider_s_contact_has_the_language_it_applied_in() -> None:
    registered = contact(events.PROVIDER_REGISTERED, load(events.PROVIDER_REGISTERED, {
        **PROVIDER, "language": "en"}))
    assert registered is not None and registered.language == "en" and registered.sets_language
    approved = contact(events.PROVIDER_APPROVED, load(events.PROVIDER_APPROVED, {
        **PROVIDER, "status": "approved", "commission_bps": 500,
        "agreement_start": "2026-12-07", "language": "en"}))
    assert approved is not None and approved.language == "en"
    assert not approved.sets_language


def test_a_decision_keeps_the_language_the_provider_chose_and_tells_a_new_contact_in_its(
        memory_session: Session) -> None:
    def remember(kind: str, payload: dict, event_id: str) -> str:
        told = contact(kind, load(kind, {**PROVIDER, **payload}))
        tell(memory_session, [Told(event_id, [], told)], lambda emails: [])
        recipient = memory_session.get(Recipient, "provider:v-1", populate_existing=True)
        assert recipient is not None
        return recipient.language

    decided = {"status": "suspended", "commission_bps": 500, "agreement_start": "2026-12-07"}
    # a decision heard before the application (events race): the contact starts in English
    assert remember(events.PROVIDER_SUSPENDED, {**decided, "language": "en"}, "e-1") == "en"
    assert remember(events.PROVIDER_REGISTERED, {"language": "en"}, "e-2") == "en"
    memory_session.get_one(Recipient, "provider:v-1").language = "it"  # chosen since
    memory_session.commit()
    assert remember(events.PROVIDER_APPROVED, {**decided, "status": "approved",
                                               "language": "en"}, "e-3") == "it"
