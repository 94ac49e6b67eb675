"""The payloads of the events this service consumes, checked on arrival."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields
from wecare_common.schemas import Cents


class _Payload(Schema):
    class Meta:
        unknown = INCLUDE  # producers may add fields; we check the ones we use


class HrManager(_Payload):
    email = fields.Email(required=True)
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)


class CompanyCreated(_Payload):
    id = fields.String(required=True)
    name = fields.String(required=True)
    hr_manager = fields.Nested(HrManager, required=True)


class EmployeeEnrolled(_Payload):
    id = fields.String(required=True)
    email = fields.Email(required=True, allow_none=True)
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    language = fields.String(load_default="it")


class CreditsGranted(_Payload):
    grant_id = fields.String(required=True)
    plan_name = fields.String(required=True)
    valid_until = fields.Date(required=True)
    amount_cents = Cents()
    employee_ids = fields.List(fields.String(), required=True)


class TopupSucceeded(_Payload):
    topup_id = fields.String(required=True)
    amount_cents = Cents()
    fund_balance_cents = fields.Integer(required=True, strict=True)


class ProviderProposed(_Payload):
    id = fields.String(required=True)
    name = fields.String(required=True)
    email = fields.Email(required=True)
    category = fields.String(required=True)
