"""The one error table: every domain error becomes the JSON of docs/api.md#errors."""

from __future__ import annotations

import json

import pytest
from gateway.auth import Unauthenticated
from gateway.errors import response_from_exception
from marshmallow import Schema, ValidationError, fields
from wecare_common import errors
from wecare_common.rpc import ServiceTimeout, ServiceUnavailable


@pytest.mark.parametrize("exc, status, code", [
    (Unauthenticated("no token"), 401, "unauthenticated"),
    (errors.Forbidden("no"), 403, "forbidden"),
    (errors.NotFound("gone"), 404, "not_found"),
    (errors.Conflict("twice"), 409, "conflict"),
    (errors.IdempotencyConflict("other body"), 422, "idempotency_conflict"),
    (errors.InsufficientFunds("short"), 422, "insufficient_funds"),
    (errors.RuleViolation("limit"), 422, "rule_violation"),
    (errors.InvalidInput("bad", {"x": ["bad"]}), 400, "validation_error"),
    (ServiceTimeout("slow"), 504, "service_timeout"),
    (ServiceUnavailable("down"), 503, "service_unavailable"),
    (RuntimeError("boom"), 500, "unexpected_error"),
])
def test_each_error_maps_to_its_status_and_code(exc, status, code) -> None:
    response = response_from_exception(exc)
    body = json.loads(response.get_data())
    assert response.status_code == status
    assert body["error"]["code"] == code
    assert set(body["error"]) == {"code", "message", "fields"}


def test_an_unexpected_error_does_not_leak_its_message() -> None:
    body = json.loads(response_from_exception(RuntimeError("secret detail")).get_data())
    assert "secret" not in body["error"]["message"]


def test_a_marshmallow_error_names_each_field() -> None:
    class S(Schema):
        amount_cents = fields.Integer(required=True, strict=True)

    with pytest.raises(ValidationError) as exc:
        S().load({"amount_cents": 1.5})
    body = json.loads(response_from_exception(exc.value).get_data())
    assert body["error"]["fields"] == {"amount_cents": ["Not a valid integer."]}


def test_a_401_says_how_to_authenticate() -> None:
    assert response_from_exception(Unauthenticated("x")).headers["WWW-Authenticate"] == "Bearer"
