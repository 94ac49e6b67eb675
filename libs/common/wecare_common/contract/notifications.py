"""A person's notification preferences: what the notifications service accepts,
and the gateway with it."""

from __future__ import annotations

from marshmallow import Schema, fields, validate


class PreferencesRequest(Schema):
    language = fields.String(validate=validate.OneOf(["it", "en"]))
    non_essential_email = fields.Boolean(
        metadata={"description": "reminders and invitations; vouchers, money movements and "
                                 "security messages always go"})
