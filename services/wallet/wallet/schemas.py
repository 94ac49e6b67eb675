"""What the wallet's RPC entrypoints accept."""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from wecare_common.schemas import Cents

IdempotencyKey = fields.String(required=True, validate=validate.Length(min=1, max=200))


class TopupRequest(Schema):
    company_id = fields.String(required=True)
    amount_cents = Cents()
    method = fields.String(required=True, validate=validate.OneOf(["card", "bank_transfer"]))
    idempotency_key = IdempotencyKey


class PlanCopy(Schema):
    id = fields.String(required=True)
    name = fields.String(required=True)
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True)
    categories = fields.List(fields.String(), required=True)


class Allocation(Schema):
    employee_id = fields.String(required=True)
    amount_cents = Cents()


class GrantRequest(Schema):
    grant_id = fields.String(required=True)
    company_id = fields.String(required=True)
    plan = fields.Nested(PlanCopy, required=True)
    allocations = fields.List(fields.Nested(Allocation), required=True,
                              validate=validate.Length(min=1))
    idempotency_key = IdempotencyKey
