"""What the wallet's RPC entrypoints accept."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields, validate
from wecare_common.schemas import Cents, PageSchema

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
    leftover_policy = fields.String(load_default=None)
    version = fields.Integer(load_default=None, allow_none=True)


class GrantRequest(Schema):
    """The same amount to each listed employee (a bulk grant is one request)."""

    grant_id = fields.String(required=True)
    company_id = fields.String(required=True)
    plan = fields.Nested(PlanCopy, required=True)
    employee_ids = fields.List(fields.String(), required=True, validate=validate.Length(min=1))
    amount_cents = Cents()
    idempotency_key = IdempotencyKey


class PurchaseRequest(Schema):
    employee_id = fields.String(required=True)
    offering_id = fields.String(required=True)
    plan_id = fields.String(load_default=None, allow_none=True)
    idempotency_key = IdempotencyKey


class StatementQuery(PageSchema):
    """A provider's statement: payouts paged by `cursor`, redemptions by their own."""

    redemptions_cursor = fields.String(load_default=None, allow_none=True, validate=(
        validate.Regexp(r"^[0-9]{1,16}\.[0-9]{1,18}$", error="not a cursor")))
    since = fields.AwareDateTime(load_default=None, allow_none=True)


class RedemptionRequest(Schema):
    provider_id = fields.String(required=True)
    code = fields.String(required=True, validate=validate.Length(min=1, max=40))


class PlanEvent(Schema):
    """The part of `plan.created` and `plan.changed` the wallet keeps."""

    class Meta:
        unknown = INCLUDE

    id = fields.String(required=True)
    company_id = fields.String(required=True)
    name = fields.String(required=True)
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True)
    categories = fields.List(fields.String(), required=True)
    leftover_policy = fields.String(required=True)
    version = fields.Integer(load_default=None, allow_none=True)


class ProviderEvent(Schema):
    class Meta:
        unknown = INCLUDE

    id = fields.String(required=True)
    name = fields.String(required=True)
    status = fields.String(required=True)
    commission_bps = fields.Integer(load_default=0, allow_none=True)
    iban = fields.String(load_default=None, allow_none=True)
    stripe_account_id = fields.String(load_default=None, allow_none=True)


class OfferingEvent(Schema):
    class Meta:
        unknown = INCLUDE

    id = fields.String(required=True)
    provider_id = fields.String(required=True)
    title = fields.String(required=True)
    category = fields.String(required=True)
    price_cents = Cents()


class EmployeeEvent(Schema):
    class Meta:
        unknown = INCLUDE

    id = fields.String(required=True)
    company_id = fields.String(required=True)
    dependent_children = fields.List(fields.String(), load_default=list)
    fiscal_year = fields.Integer(load_default=None)
    fringe_limit_cents = fields.Integer(load_default=None)


class HoldRequest(Schema):
    reimbursement_id = fields.String(required=True)
    employee_id = fields.String(required=True)
    category = fields.String(required=True)
    amount_cents = Cents()
    plan_id = fields.String(load_default=None, allow_none=True)
    spent_on = fields.Date(required=True)


_MOMENT_CURSOR = validate.Regexp(r"^[0-9]{1,18}\.[0-9A-Za-z-]{1,64}$", error="not a cursor")


class TopupQuery(Schema):
    """An operator's list of top-ups: e.g. bank transfers waiting to be confirmed."""

    status = fields.String(load_default="pending",
                           validate=validate.OneOf(["pending", "succeeded", "failed"]))
    method = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(["card", "bank_transfer"]))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True, validate=_MOMENT_CURSOR)


class CompanyTopupQuery(Schema):
    """A company's own top-ups, newest first (HR's funding page)."""

    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True, validate=_MOMENT_CURSOR)


class RunsQuery(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True, validate=_MOMENT_CURSOR)
