"""The one table that maps errors to HTTP (docs/api.md#errors)."""

from __future__ import annotations

import json
import logging

from marshmallow import ValidationError
from nameko.exceptions import RemoteError
from wecare_common import errors as domain
from wecare_common.contract import refusals
from wecare_common.errors import RateLimited, ServiceTimeout, ServiceUnavailable, Unauthenticated
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

log = logging.getLogger(__name__)

# Most specific first.
ERROR_TABLE: list[tuple[type[domain.DomainError], int]] = [
    (Unauthenticated, 401),
    (RateLimited, 429),
    (domain.Forbidden, 403),
    (domain.NotFound, 404),
    (domain.IdempotencyConflict, 422),
    (domain.Conflict, 409),
    (domain.InsufficientFunds, 422),
    (domain.RuleViolation, 422),
    (domain.InvalidInput, 400),
    (ServiceTimeout, 504),
    (ServiceUnavailable, 503),
]


def error_body(code: str, message: str, fields: dict | None = None,
               params: dict | None = None, problems: dict | None = None) -> dict:
    """The error's JSON: `code` and `params` as the service raised them (declared in
    wecare_common.contract.refusals), `problems` the same per field, beside the
    English `message` and `fields` (docs/api.md#errors)."""
    return {"error": {"code": code, "message": message, "params": params or {},
                      "fields": fields or {}, "problems": problems or {}}}


def status_of(error: type[domain.DomainError]) -> int:
    """The HTTP status of an error class (500 when the table has none)."""
    return next((status for cls, status in ERROR_TABLE if issubclass(error, cls)), 500)


def json_response(status: int, body: object, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json",
                    headers=headers)


def response_from_exception(exc: BaseException) -> Response:
    if isinstance(exc, ValidationError):
        exc = refusals.validation_error(exc)
    for cls, status in ERROR_TABLE:
        if isinstance(exc, cls):
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            if isinstance(exc, RateLimited):
                headers = {"Retry-After": str(exc.retry_after)}
            return json_response(status, error_body(exc.code, str(exc), exc.fields,
                                                    exc.params, exc.problems), headers)
    if isinstance(exc, HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        if code not in refusals.CODES:
            code = refusals.BAD_REQUEST.code if (exc.code or 500) < 500 else "unexpected_error"
        return json_response(exc.code or 500, error_body(code, exc.description or code))
    if isinstance(exc, RemoteError):
        log.error("unexpected remote error: %s %s", exc.exc_type, exc.value)
    else:
        log.exception("unexpected error", exc_info=exc)
    return json_response(500, error_body("unexpected_error", "something went wrong"))
