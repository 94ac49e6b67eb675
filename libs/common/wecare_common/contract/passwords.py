"""A password's length: the one statement of the rule for every route that takes a new
password (signing up, a one-time link, a provider's application) and for the web app's
forms, which check it early for the person's comfort with this same field."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from wecare_common.contract import refusals

MIN, MAX = 10, 200


def password(*, required: bool) -> fields.String:
    """A new password's field (load only: never part of an answer)."""
    return fields.String(load_only=True, validate=validate.Length(
        min=MIN, max=MAX, error=refusals.PASSWORD_LENGTH.said(min=MIN, max=MAX)), required=required)


class NewPassword(Schema):
    """A new password alone (what a form checks early)."""

    password = password(required=True)
