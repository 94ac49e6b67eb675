"""The one table that maps errors to HTTP (docs/api.md#errors)."""

from __future__ import annotations

import json
import logging

from marshmallow import ValidationError
from nameko.exceptions import RemoteError
from wecare_common import errors as domain
from wecare_common.rpc import ServiceTimeout, ServiceUnavailable
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response

from gateway.auth import Unauthenticated
from gateway.limits import RateLimited

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


def error_body(code: str, message: str, fields: dict | None = None) -> dict:
    return {"error": {"code": code, "message": message, "fields": fields or {}}}


def json_response(status: int, body: object, headers: dict | None = None) -> Response:
    return Response(json.dumps(body), status=status, mimetype="application/json",
                    headers=headers)


def response_from_exception(exc: BaseException) -> Response:
    if isinstance(exc, ValidationError):
        exc = domain.validation_error_from(exc)
    for cls, status in ERROR_TABLE:
        if isinstance(exc, cls):
            headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
            if isinstance(exc, RateLimited):
                headers = {"Retry-After": str(exc.retry_after)}
            return json_response(status, error_body(exc.code, str(exc),
                                                    getattr(exc, "fields", None)), headers)
    if isinstance(exc, HTTPException):
        code = (exc.name or "error").lower().replace(" ", "_")
        return json_response(exc.code or 500, error_body(code, exc.description or code))
    if isinstance(exc, RemoteError):
        log.error("unexpected remote error: %s %s", exc.exc_type, exc.value)
    else:
        log.exception("unexpected error", exc_info=exc)
    return json_response(500, error_body("unexpected_error", "something went wrong"))
