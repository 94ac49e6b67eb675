"""The event envelope (docs/events.md#the-envelope), validated with marshmallow on both sides."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

EVENTS_EXCHANGE = "wecare.events"
UNROUTED_EXCHANGE = "wecare.unrouted"
UNROUTED_QUEUE = "wecare.unrouted"
DEAD_LETTER_EXCHANGE = "wecare.dead"
DEAD_LETTER_QUEUE = "wecare.dead-letter"


class EnvelopeSchema(Schema):
    id = fields.UUID(required=True)
    type = fields.String(
        required=True, validate=validate.Regexp(r"^[a-z_]+\.[a-z_]+$", error="not an event type")
    )
    version = fields.Integer(required=True, strict=True, validate=validate.Range(min=1))
    occurred_at = fields.AwareDateTime(required=True)
    producer = fields.String(required=True, validate=validate.Length(min=1, max=64))
    company_id = fields.String(required=True, allow_none=True)
    payload = fields.Dict(required=True)


ENVELOPE = EnvelopeSchema()


def make_envelope(
    event_type: str,
    payload: dict[str, Any],
    *,
    producer: str,
    company_id: str | None,
    version: int = 1,
    event_id: uuid.UUID | None = None,
) -> dict[str, Any]:
    """A JSON-ready envelope; raises ValidationError if it would be malformed."""
    envelope = {
        "id": str(event_id or uuid.uuid4()),
        "type": event_type,
        "version": version,
        "occurred_at": datetime.now(UTC).isoformat(),
        "producer": producer,
        "company_id": company_id,
        "payload": payload,
    }
    errors = ENVELOPE.validate(envelope)
    if errors:
        raise ValidationError(errors)
    return envelope


def load_envelope(body: Any) -> dict[str, Any]:
    """Validate an incoming envelope; the `id` stays a string for recording."""
    loaded = ENVELOPE.load(body)
    loaded["id"] = str(loaded["id"])
    return loaded
