"""The one error table: every domain error becomes the JSON of docs/api.md#errors."""

from __future__ import annotations

import json

import pytest
from gateway.errors import response_from_exception
from marshmallow import Schema, ValidationError, fields
from wecare_common import errors
from wecare_common.errors import ServiceTimeout, ServiceUnavailable, Unauthenticated


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
    assert set(body["error"]) == {"code", "message", "params", "fields", "problems"}


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
    assert body["error"]["problems"] == {"amount_cents": [{"code": "not_an_integer",
                                                           "params": {}}]}


def test_a_refusal_carries_its_code_and_typed_params_beside_the_english() -> None:
    from wecare_common.contract import refusals
    response = response_from_exception(refusals.RATE_LIMITED(retry_after=30))
    body = json.loads(response.get_data())["error"]
    assert response.status_code == 429 and response.headers["Retry-After"] == "30"
    assert body["code"] == "rate_limited" and body["params"] == {"retry_after": 30}
    refused = refusals.LENGTH_BETWEEN(min=1, max=200, field="name")
    body = json.loads(response_from_exception(refused).get_data())["error"]
    assert body == {"code": "length_between", "message": "Length must be between 1 and 200.",
                    "params": {"min": 1, "max": 200},
                    "fields": {"name": ["Length must be between 1 and 200."]},
                    "problems": {"name": [{"code": "length_between",
                                           "params": {"min": 1, "max": 200}}]}}


def test_every_http_answer_of_the_gateway_itself_has_a_declared_code() -> None:
    from wecare_common.contract import refusals
    from werkzeug.exceptions import Gone, MethodNotAllowed, NotFound, RequestEntityTooLarge
    for exc in (MethodNotAllowed(), NotFound(), RequestEntityTooLarge(), Gone()):
        code = json.loads(response_from_exception(exc).get_data())["error"]["code"]
        assert code in refusals.CODES, exc


def test_a_401_says_how_to_authenticate() -> None:
    assert response_from_exception(Unauthenticated("x")).headers["WWW-Authenticate"] == "Bearer"


def test_the_docs_table_of_refusal_codes_is_the_registry() -> None:
    from pathlib import Path

    from gateway.openapi import REFUSALS_END, REFUSALS_START, refusal_table
    page = (Path(__file__).resolve().parents[2] / "docs/api.md").read_text()
    listed = page.split(REFUSALS_START, 1)[1].split(REFUSALS_END, 1)[0]
    assert listed == refusal_table(), "run `python -m gateway.openapi`: it writes docs/api.md"


def test_the_openapi_document_lists_every_code_with_its_typed_params() -> None:
    from gateway.openapi import build_spec
    from gateway.service import GatewayService
    from wecare_common.contract import refusals
    document = build_spec(GatewayService)
    assert set(document["x-refusals"]) == set(refusals.CODES)
    limited = document["x-refusals"]["rate_limited"]
    assert limited["status"] == 429
    assert limited["params"]["properties"]["retry_after"]["type"] == "integer"
    detail = document["components"]["schemas"]["ErrorDetail"]["properties"]
    assert set(detail) >= {"code", "params", "problems"}
    assert set(detail["code"]["enum"]) == set(refusals.CODES)
