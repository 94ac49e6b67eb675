"""A one-time link's email (an invitation, a password reset) in the language its event
names: the employee's, or the language of the request that asked for it."""

from __future__ import annotations

import pytest
from notifications.routes import contact, messages
from notifications.templates import render
from wecare_common.contract import events

LINK = {"user_id": "u-1", "email": "jane@example.test", "role": "employee", "name": "Jane",
        "link_id": "l-1", "expires_in_hours": 1}


@pytest.mark.parametrize(("kind", "english"), [
    (events.USER_INVITED, "You are invited to WeCare"),
    (events.PASSWORD_RESET_REQUESTED, "Reset your WeCare password")])
def test_a_link_s_email_is_in_the_language_of_its_event(kind: str, english: str) -> None:
    payload = events.load_payload({"type": kind, "payload": {**LINK, "language": "en"}})
    told = contact(kind, payload)
    assert told is not None and (told.key, told.language) == ("user:u-1", "en")
    assert told.sets_language  # the newest link's language: the one the person uses now
    [message] = messages(kind, payload, None)
    subject, _, _ = render(message.kind, told.language,
                           {**message.context, "link": "http://x"})
    assert subject == english
    # an event from before the language travelled with it: Italian, as then
    before = contact(kind, events.load_payload({"type": kind, "payload": LINK}))
    assert before is not None and before.language == "it"
