"""Top-ups, grants, vouchers, redemptions and settlements: what the wallet service
accepts, from the gateway and from the benefits service."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from wecare_common.contract import refusals
from wecare_common.schemas import Cents, PageSchema, Strings

IdempotencyKey = fields.String(required=True, validate=validate.Length(min=1, max=200))
TOPUP_METHODS = ("card", "bank_transfer")
_LATEST_MICROS = (datetime(9999, 12, 31, tzinfo=UTC) - datetime(1970, 1, 1, tzinfo=UTC)
                  ) // timedelta(microseconds=1)


def _moment_in_range(value: str) -> None:
    """A cursor's moment (microseconds since 1970) is a date Python can hold."""
    micros = value.split(".", 1)[0]
    # ASCII digits only: "¹".isdigit() is True and int() refuses it (the pattern
    # beside this refuses it too, but marshmallow runs every validator)
    if micros.isascii() and micros.isdigit() and int(micros) > _LATEST_MICROS:
        raise ValidationError(refusals.NOT_A_CURSOR.said())


# a page's last moment and id: where the next page starts
_MOMENT_CURSOR = (validate.Regexp(r"^[0-9]{1,18}\.[0-9A-Za-z-]{1,64}$",
                                  error=refusals.NOT_A_CURSOR.message), _moment_in_range)


class TopupFields(Schema):
    amount_cents = Cents()
    method = fields.String(required=True, validate=validate.OneOf(TOPUP_METHODS))


class TopupRequest(TopupFields):
    company_id = fields.String(required=True)
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
    employee_ids = Strings(required=True, validate=validate.Length(min=1))
    amount_cents = Cents()
    idempotency_key = IdempotencyKey


class PurchaseFields(Schema):
    offering_id = fields.String(required=True, validate=validate.Length(min=1, max=64))
    plan_id = fields.String(load_default=None, allow_none=True,
                            validate=validate.Length(min=1, max=64))
    expected_price_cents = Cents(required=False, load_default=None, allow_none=True, metadata={
        "description": "the price the buyer was shown (a network's agreed price, or the "
                       "offering's own): the purchase is refused, moving nothing, when the "
                       "voucher would cost otherwise"})


class PurchaseRequest(PurchaseFields):
    employee_id = fields.String(required=True)
    idempotency_key = IdempotencyKey


class RedemptionFields(Schema):
    # a typed code, or the QR's signed text (WC1.…: docs/offline.md)
    code = fields.String(required=True, validate=validate.Length(min=1, max=400))


class RedemptionRequest(RedemptionFields):
    provider_id = fields.String(required=True)


class OfflineLimitsFields(Schema):
    """What a provider's phone may accept without a network (docs/offline.md)."""

    voucher_cents = fields.Integer(required=True, strict=True,
                                   validate=validate.Range(min=0, max=100_000))
    waiting_cents = fields.Integer(required=True, strict=True,
                                   validate=validate.Range(min=0, max=1_000_000))
    hours = fields.Integer(required=True, strict=True, validate=validate.Range(min=0, max=168))


class OfflineLimitsRequest(OfflineLimitsFields):
    provider_id = fields.String(required=True)


class UtcDateTime(fields.AwareDateTime):
    """A moment with its offset, kept in UTC (an offset past PostgreSQL's ±15:59, or a
    moment before year 1 in UTC, is refused here rather than by the database)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> datetime:
        moment = super()._deserialize(value, attr, data, **kwargs)
        try:
            return moment.astimezone(UTC)
        except OverflowError as exc:
            raise ValidationError(refusals.OUT_OF_RANGE.said()) from exc


class OfflineAcceptance(Schema):
    """One redemption a provider's phone accepted without a network (docs/offline.md)."""

    signed = fields.String(required=True, validate=validate.Length(min=1, max=400), metadata={
        "description": "the QR's text as scanned: WC1.<payload>.<signature>"})
    accepted_at = UtcDateTime(required=True, metadata={
        "description": "when the phone accepted it (ISO-8601 with offset)"})
    device_id = fields.String(required=True, validate=validate.Length(min=8, max=64),
                              metadata={"description": "the phone's own id, made once"})


class OfflineRedemptionsFields(Schema):
    items = fields.List(fields.Nested(OfflineAcceptance), required=True,
                        validate=validate.Length(min=1, max=50))


class OfflineRedemptionsRequest(OfflineRedemptionsFields):
    provider_id = fields.String(required=True)


class StatementQuery(PageSchema):
    """A provider's statement: payouts paged by `cursor`, redemptions by their own."""

    redemptions_cursor = fields.String(load_default=None, allow_none=True, validate=(
        validate.Regexp(r"^[0-9]{1,16}\.[0-9]{1,18}$",
                        error=refusals.NOT_A_CURSOR.message)), metadata={
        "description": "the next page of redemptions (redemptions_next_cursor)"})
    since = UtcDateTime(load_default=None, allow_none=True, metadata={
        "description": "ISO-8601 with offset: count and sum the redemptions from then "
                       "(e.g. the start of the provider's day)"})


class HoldRequest(Schema):
    reimbursement_id = fields.String(required=True)
    employee_id = fields.String(required=True)
    category = fields.String(required=True)
    amount_cents = Cents()
    plan_id = fields.String(load_default=None, allow_none=True)
    spent_on = fields.Date(required=True)


class TopupQuery(Schema):
    """An operator's list of top-ups: e.g. bank transfers waiting to be confirmed."""

    status = fields.String(load_default="pending",
                           validate=validate.OneOf(["pending", "succeeded", "failed"]))
    method = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(TOPUP_METHODS))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True, validate=_MOMENT_CURSOR)


class CompanyTopupQuery(Schema):
    """A company's own top-ups, newest first (HR's funding page)."""

    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True, validate=_MOMENT_CURSOR)


class RunsQuery(Schema):
    limit = fields.Integer(load_default=20, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True, validate=_MOMENT_CURSOR)


class MembershipPeriod(Schema):
    """A firm's time in a network within the year asked (benefits owns membership)."""

    company_id = fields.String(required=True)
    name = fields.String(required=True)
    municipality = fields.String(required=True)
    province = fields.String(load_default="")
    current = fields.Boolean(load_default=False)
    joined_at = UtcDateTime(required=True)
    left_at = UtcDateTime(required=True)


class AdoptedPlan(Schema):
    plan_id = fields.String(required=True)
    template_id = fields.String(required=True)
    company_id = fields.String(required=True)


class NetworkFiguresRequest(Schema):
    periods = fields.List(fields.Nested(MembershipPeriod), required=True)
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    shared_plans = fields.List(fields.Nested(AdoptedPlan), load_default=list)
