"""A period's days in order (valid_from, valid_until): the one statement of the rule
for plans, offerings and agreements. The contract's schemas check it with `Period`,
the services with `out_of_order` when a change meets what is stored (a plan's new
end, an offering's changed dates), and the web app with `out_of_order` too, to tell a
person early: all three say `ends_before_start` about `valid_until`."""

from __future__ import annotations

from datetime import date
from typing import Any

from marshmallow import Schema, ValidationError, validates_schema

from wecare_common.contract import refusals

FIELD = "valid_until"  # the field a period out of order is said about


def _day(value: date | str) -> date:
    return value if isinstance(value, date) else date.fromisoformat(value)


def out_of_order(start: date | str | None, end: date | str | None) -> refusals.Said | None:
    """`ends_before_start` when the period ends before it starts; None when its days
    are in order or one of them is open (None or empty). ISO dates may come as text."""
    if not start or not end:
        return None
    return refusals.ENDS_BEFORE_START.said() if _day(end) < _day(start) else None


class Period(Schema):
    """A request with `valid_from` and `valid_until`: in order when both are given."""

    @validates_schema
    def _days_in_order(self, data: dict[str, Any], **kwargs: Any) -> None:
        problem = out_of_order(data.get("valid_from"), data.get("valid_until"))
        if problem is not None:
            raise ValidationError(problem, FIELD)
