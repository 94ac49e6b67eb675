"""The envelope of docs/events.md#the-envelope."""

import pytest
from marshmallow import ValidationError
from wecare_common.events import load_envelope, make_envelope


def test_an_envelope_carries_every_field_of_the_design() -> None:
    envelope = make_envelope("credits.granted", {"grant_id": "g1"}, producer="benefits",
                             company_id="c1")
    assert set(envelope) == {"id", "type", "version", "occurred_at", "producer",
                             "company_id", "payload"}
    assert envelope["version"] == 1
    assert envelope["occurred_at"].endswith("+00:00")
    assert load_envelope(envelope)["id"] == envelope["id"]


@pytest.mark.parametrize("broken, field", [
    ({"type": "Not An Event"}, "type"),
    ({"version": "1"}, "version"),
    ({"occurred_at": "2026-01-01T00:00:00"}, "occurred_at"),  # naive: no time zone
    ({"payload": [1, 2]}, "payload"),
    ({"id": "not-a-uuid"}, "id"),
])
def test_a_malformed_envelope_is_refused_naming_the_field(broken: dict, field: str) -> None:
    envelope = make_envelope("credits.granted", {}, producer="benefits", company_id=None)
    with pytest.raises(ValidationError) as exc:
        load_envelope({**envelope, **broken})
    assert field in exc.value.messages


def test_a_producer_cannot_write_a_malformed_envelope() -> None:
    with pytest.raises(ValidationError):
        make_envelope("Bad Type", {}, producer="benefits", company_id=None)
