"""What the notifications service accepts: the payloads of the events it
consumes (checked on arrival) and a person's preferences."""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, fields, validate
from wecare_common.schemas import Cents


class _Payload(Schema):
    class Meta:
        unknown = INCLUDE  # producers may add fields; we check the ones we use


def _schema(**spec: Any) -> type[Schema]:
    return type("Payload", (_Payload,), spec)


_id = fields.String(required=True)
_cents = Cents()
_text = fields.String(required=True)
_person = _schema(email=fields.Email(required=True), first_name=_text, last_name=_text)

VOUCHER = _schema(id=_id, employee_id=_id, provider_id=_id, code=_text, title=_text,
                  amount_cents=_cents, expires_at=_text, status=_text)
PAYLOADS: dict[str, type[Schema]] = {
    "company.created": _schema(id=_id, name=_text, hr_manager=fields.Nested(_person,
                                                                            required=True)),
    "employee.enrolled": _schema(id=_id, email=fields.Email(required=True, allow_none=True),
                                 first_name=_text, last_name=_text,
                                 language=fields.String(load_default="it")),
    "provider.registered": _schema(id=_id, name=_text, email=fields.Email(required=True)),
    "provider.proposed": _schema(id=_id, name=_text, email=fields.Email(required=True),
                                 category=_text),
    "provider.approved": _schema(id=_id, name=_text, email=fields.Email(required=True),
                                 commission_bps=fields.Integer(required=True),
                                 agreement_start=_text),
    "provider.suspended": _schema(id=_id, name=_text, email=fields.Email(required=True)),
    "credits.granted": _schema(grant_id=_id, plan_name=_text,
                               valid_until=fields.Date(required=True), amount_cents=_cents,
                               employee_ids=fields.List(fields.String(), required=True)),
    "credits.expiring": _schema(plan_id=_id, plan_name=_text, employee_id=_id,
                                amount_cents=_cents, days_left=fields.Integer(required=True),
                                valid_until=_text),
    "voucher.issued": _schema(provider_name=_text, **VOUCHER._declared_fields),
    "voucher.redeemed": _schema(commission_cents=fields.Integer(required=True),
                                provider_amount_cents=fields.Integer(required=True),
                                **VOUCHER._declared_fields),
    "voucher.cancelled": VOUCHER,
    "voucher.expired": VOUCHER,
    "topup.succeeded": _schema(topup_id=_id, amount_cents=_cents,
                               fund_balance_cents=fields.Integer(required=True)),
    "topup.failed": _schema(topup_id=_id, amount_cents=_cents,
                            fund_balance_cents=fields.Integer(required=True),
                            reason=fields.String(load_default=None, allow_none=True)),
    "reimbursement.requested": _schema(id=_id, employee_id=_id, amount_cents=_cents,
                                       category=_text, spent_on=_text),
    "reimbursement.approved": _schema(id=_id, employee_id=_id, amount_cents=_cents,
                                      status=_text, reason=fields.String(allow_none=True)),
    "reimbursement.rejected": _schema(id=_id, employee_id=_id, amount_cents=_cents,
                                      status=_text, reason=fields.String(allow_none=True)),
    "user.invited": _schema(user_id=_id, email=fields.Email(required=True), role=_text,
                            name=fields.String(load_default=""), link=_text,
                            expires_in_hours=fields.Integer(required=True)),
    "password.reset_requested": _schema(user_id=_id, email=fields.Email(required=True),
                                        role=_text, link=_text,
                                        expires_in_hours=fields.Integer(required=True)),
    "payout.sent": _schema(id=_id, provider_id=_id, amount_cents=_cents,
                           commission_cents=fields.Integer(required=True), method=_text,
                           reference=_text, created_at=_text),
}


class PreferencesRequest(Schema):
    language = fields.String(validate=validate.OneOf(["it", "en"]))
    non_essential_email = fields.Boolean()
