"""Domain errors shared by every service. Registered with nameko so that an
RPC caller receives the same class (with its message, fields, code and params),
and the gateway maps each to HTTP in its one error table.

The class says what kind of refusal it is (and so the HTTP status); the code
says which one: `wecare_common.contract.refusals` declares every code with its
typed params, and raising `refusals.CODE(...)` makes the right class with them.
An error made from a class alone carries the class's own generic code."""

from __future__ import annotations

import json
from typing import Any

from nameko.exceptions import deserialize_to_instance


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str, fields: dict[str, Any] | None = None,
                 code: str | None = None, detail: dict[str, Any] | str | None = None) -> None:
        # `detail` ({"params", "problems"}) travels as JSON text: nameko's
        # serialization turns every number inside an exception's args into a string
        if isinstance(detail, str):
            detail = json.loads(detail) if detail else {}
        detail = detail or {}
        super().__init__(message, fields or {}, code or type(self).code,
                         json.dumps(detail, separators=(",", ":")) if detail else "")
        self.message = message
        self.fields = fields or {}
        self.code = code or type(self).code
        self.params: dict[str, Any] = detail.get("params") or {}
        self.problems: dict[str, list[dict[str, Any]]] = detail.get("problems") or {}

    def __str__(self) -> str:
        return self.message


@deserialize_to_instance
class InvalidInput(DomainError):
    """The request is malformed: a field is missing, of the wrong type or out of range."""
    code = "validation_error"


@deserialize_to_instance
class NotFound(DomainError):
    code = "not_found"


@deserialize_to_instance
class Forbidden(DomainError):
    code = "forbidden"


@deserialize_to_instance
class Conflict(DomainError):
    """The state forbids it: a duplicate, a second confirmation, a reused key."""
    code = "conflict"


@deserialize_to_instance
class RuleViolation(DomainError):
    """Well-formed, but a business rule says no (a fiscal limit, an expired plan)."""
    code = "rule_violation"


@deserialize_to_instance
class InsufficientFunds(RuleViolation):
    code = "insufficient_funds"


@deserialize_to_instance
class IdempotencyConflict(Conflict):
    code = "idempotency_conflict"


class Unauthenticated(DomainError):
    """No credentials, or credentials refused (the gateway's own)."""
    code = "unauthenticated"


class RateLimited(DomainError):
    """Too many attempts (the gateway's own): try again after `retry_after` seconds
    (refusals.RATE_LIMITED's param)."""
    code = "rate_limited"

    @property
    def retry_after(self) -> int:
        return int(self.params.get("retry_after", 60))


class ServiceUnavailable(DomainError):
    """A service cannot be reached (wecare_common.rpc)."""
    code = "service_unavailable"


class ServiceTimeout(ServiceUnavailable):
    code = "service_timeout"

