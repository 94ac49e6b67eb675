"""Domain errors shared by every service. Registered with nameko so that an
RPC caller receives the same class (with its message and fields), and the
gateway maps each to HTTP in its one error table."""

from __future__ import annotations

from typing import Any

from nameko.exceptions import deserialize_to_instance


class DomainError(Exception):
    code = "domain_error"

    def __init__(self, message: str, fields: dict[str, Any] | None = None) -> None:
        super().__init__(message, fields or {})
        self.message = message
        self.fields = fields or {}

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


def validation_error_from(exc: Any) -> InvalidInput:
    """A marshmallow ValidationError as our InvalidInput, naming each field."""
    messages = exc.messages if isinstance(exc.messages, dict) else {"_schema": exc.messages}
    return InvalidInput("invalid input: " + ", ".join(sorted(messages)), messages)


def require_scope(**named: str | None) -> None:
    """The company, employee or provider a read or a change is scoped by. A missing one
    is refused, never read as "every company" (docs/api.md#roles-and-tenants): a query
    that drops its filter when the id is None would hand out every tenant's rows."""
    missing = sorted(name for name, value in named.items() if not value)
    if missing:
        raise Forbidden(f"no {' or '.join(missing)} named: refused",
                        {name: ["missing"] for name in missing})
