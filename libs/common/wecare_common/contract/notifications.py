"""A person's notification preferences: what the notifications service accepts,
and the gateway with it; and the language of what WeCare writes to a person, one field
for every request that takes one (an employee, a provider's application, preferences)."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, fields, validate

from wecare_common.contract import refusals
from wecare_common.languages import LANGUAGES


def language(**kwargs: Any) -> fields.String:
    """A person's language (`it` or `en`): anything else is refused as not_a_language."""
    return fields.String(validate=validate.OneOf(
        LANGUAGES, error=refusals.NOT_A_LANGUAGE.message), **kwargs)


class PreferencesRequest(Schema):
    language = language()
    non_essential_email = fields.Boolean(
        metadata={"description": "reminders and invitations; vouchers, money movements and "
                                 "security messages always go"})
