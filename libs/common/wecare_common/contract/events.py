"""Every event the services publish: its name (a constant here, never built from
pieces) and its payload type, checked by consumers on arrival.

A payload type names the fields some consumer relies on; producers may send
more (INCLUDE). Publish with `record_event(session, events.PLAN_CREATED, ...)`,
consume with `@handle_event(events.PLAN_CREATED)` and `events.load_payload(event)`."""

from __future__ import annotations

from typing import Any

from marshmallow import INCLUDE, Schema, fields

from wecare_common.schemas import Cents

# -- the names (the routing keys on wecare.events) ---------------------------------------
COMPANY_CREATED = "company.created"
EMPLOYEE_ENROLLED = "employee.enrolled"
EMPLOYEE_LEFT = "employee.left"
PLAN_CREATED = "plan.created"
PLAN_CHANGED = "plan.changed"
CREDITS_GRANTED = "credits.granted"
CREDITS_EXPIRING = "credits.expiring"
CREDITS_EXPIRED = "credits.expired"
WALLET_CREDITED = "wallet.credited"
TOPUP_SUCCEEDED = "topup.succeeded"
TOPUP_FAILED = "topup.failed"
PROVIDER_REGISTERED = "provider.registered"
PROVIDER_PROPOSED = "provider.proposed"
PROVIDER_APPROVED = "provider.approved"
PROVIDER_SUSPENDED = "provider.suspended"
OFFERING_PUBLISHED = "offering.published"
OFFERING_WITHDRAWN = "offering.withdrawn"
VOUCHER_ISSUED = "voucher.issued"
VOUCHER_REDEEMED = "voucher.redeemed"
VOUCHER_CANCELLED = "voucher.cancelled"
VOUCHER_EXPIRED = "voucher.expired"
# a voucher this provider had redeemed, accepted again by one of its phones without a
# network and sent later: paid once, the second acceptance recorded as a duplicate and
# told to the provider (docs/offline.md#the-rules-that-keep-money-right)
VOUCHER_ACCEPTED_AGAIN = "voucher.accepted_again"
REIMBURSEMENT_REQUESTED = "reimbursement.requested"
REIMBURSEMENT_APPROVED = "reimbursement.approved"
REIMBURSEMENT_REJECTED = "reimbursement.rejected"
PAYOUT_SENT = "payout.sent"
USER_INVITED = "user.invited"
PASSWORD_RESET_REQUESTED = "password.reset_requested"
# a provider's application from the public form (issue 23.5): the link that confirms the
# address, or, when the address is known already, word of it to the address alone
PROVIDER_APPLIED = "provider.applied"
BONUS_OFFERED = "bonus.offered"
BONUS_REMINDED = "bonus.reminded"
BONUS_SETTLED = "bonus.settled"
NETWORK_MEMBER_INVITED = "network.member_invited"
NETWORK_MEMBER_JOINED = "network.member_joined"
NETWORK_MEMBER_LEFT = "network.member_left"
AGREEMENT_PROPOSED = "agreement.proposed"
AGREEMENT_ACCEPTED = "agreement.accepted"
AGREEMENT_ENDED = "agreement.ended"

# An event named by an outcome: the outcome → the event's name.
PROVIDER_STATUS_CHANGED = {"approved": PROVIDER_APPROVED, "suspended": PROVIDER_SUSPENDED}
REIMBURSEMENT_DECIDED = {"approved": REIMBURSEMENT_APPROVED, "rejected": REIMBURSEMENT_REJECTED}
VOUCHER_GIVEN_BACK = {"cancelled": VOUCHER_CANCELLED, "expired": VOUCHER_EXPIRED}


# -- the payload types --------------------------------------------------------------------
class Payload(Schema):
    class Meta:
        unknown = INCLUDE  # producers may add fields; consumers check the ones they use


def _payload(**spec: Any) -> type[Schema]:
    return type("Payload", (Payload,), spec)


_id = fields.String(required=True)
_cents = Cents()
_text = fields.String(required=True)
_person = _payload(email=fields.Email(required=True), first_name=_text, last_name=_text)

PLAN = _payload(id=_id, company_id=_id, name=_text, valid_from=fields.Date(required=True),
                valid_until=fields.Date(required=True),
                categories=fields.List(fields.String(), required=True),
                leftover_policy=_text, version=fields.Integer(load_default=None,
                                                               allow_none=True))
# a provider's language: what its emails are written in (none before it was kept: Italian)
_language = fields.String(load_default="it")
PROVIDER = _payload(id=_id, name=_text, email=fields.Email(required=True), status=_text,
                    language=_language,
                    commission_bps=fields.Integer(load_default=0, allow_none=True),
                    iban=fields.String(load_default=None, allow_none=True),
                    stripe_account_id=fields.String(load_default=None, allow_none=True))
OFFERING = _payload(id=_id, provider_id=_id, title=_text, category=_text, price_cents=_cents)
VOUCHER = _payload(id=_id, employee_id=_id, provider_id=_id, code=_text, title=_text,
                   amount_cents=_cents, expires_at=_text, status=_text)
REIMBURSEMENT = _payload(id=_id, employee_id=_id, amount_cents=_cents, status=_text,
                         reason=fields.String(allow_none=True))
MEMBERSHIP = _payload(id=_id, network_id=_id, company_id=_id, status=_text,
                     network_name=_text, network_slug=_text,
                     joined_at=fields.AwareDateTime(required=True),
                     left_at=fields.AwareDateTime(load_default=None, allow_none=True))
AGREEMENT = _payload(id=_id, network_id=_id, provider_id=_id, offering_id=_id, status=_text,
                     price_cents=fields.Integer(load_default=None, allow_none=True),
                     discount_bps=fields.Integer(load_default=None, allow_none=True),
                     valid_from=fields.Date(load_default=None, allow_none=True),
                     valid_until=fields.Date(load_default=None, allow_none=True))
_money_moved = {"amount_cents": _cents, "fund_balance_cents": fields.Integer(required=True)}

_OFFER = {"offer_id": _id, "name": _text, "amount_cents": _cents,
          "deadline": fields.Date(required=True), "plan_name": _text}

PAYLOADS: dict[str, type[Schema]] = {
    COMPANY_CREATED: _payload(id=_id, name=_text,
                              hr_manager=fields.Nested(_person, required=True)),
    EMPLOYEE_ENROLLED: _payload(id=_id, company_id=_id,
                                email=fields.Email(required=True, allow_none=True),
                                first_name=_text, last_name=_text,
                                language=fields.String(load_default="it"),
                                dependent_children=fields.List(fields.String(),
                                                               load_default=list),
                                fiscal_year=fields.Integer(load_default=None),
                                fringe_limit_cents=fields.Integer(load_default=None)),
    EMPLOYEE_LEFT: _payload(id=_id, company_id=_id, left_on=_text),
    PLAN_CREATED: PLAN,
    PLAN_CHANGED: _payload(changed=fields.List(fields.String(), load_default=list),
                           **PLAN._declared_fields),
    CREDITS_GRANTED: _payload(grant_id=_id, plan_name=_text,
                              valid_until=fields.Date(required=True), amount_cents=_cents,
                              employee_ids=fields.List(fields.String(), required=True)),
    CREDITS_EXPIRING: _payload(plan_id=_id, plan_name=_text, employee_id=_id,
                               amount_cents=_cents, days_left=fields.Integer(required=True),
                               valid_until=_text),
    CREDITS_EXPIRED: _payload(destination=_text, total_cents=fields.Integer(required=True),
                              employees=fields.List(fields.Dict(), required=True)),
    WALLET_CREDITED: _payload(grant_id=_id, plan_id=_id, transaction_id=_id,
                              total_cents=_cents,
                              employee_count=fields.Integer(required=True)),
    TOPUP_SUCCEEDED: _payload(topup_id=_id, **_money_moved),
    TOPUP_FAILED: _payload(topup_id=_id, reason=fields.String(load_default=None,
                                                               allow_none=True),
                           **_money_moved),
    PROVIDER_REGISTERED: _payload(id=_id, name=_text, email=fields.Email(required=True),
                                  language=_language),
    PROVIDER_PROPOSED: _payload(id=_id, name=_text, email=fields.Email(required=True),
                                category=_text),
    PROVIDER_APPROVED: _payload(**{**PROVIDER._declared_fields,
                                   "commission_bps": fields.Integer(required=True),
                                   "agreement_start": _text}),
    PROVIDER_SUSPENDED: PROVIDER,
    OFFERING_PUBLISHED: OFFERING,
    OFFERING_WITHDRAWN: OFFERING,
    VOUCHER_ISSUED: _payload(provider_name=_text,
                             signed=fields.String(load_default=None, allow_none=True),
                             **VOUCHER._declared_fields),
    VOUCHER_REDEEMED: _payload(commission_cents=fields.Integer(required=True),
                               provider_amount_cents=fields.Integer(required=True),
                               **VOUCHER._declared_fields),
    VOUCHER_CANCELLED: VOUCHER,
    VOUCHER_EXPIRED: VOUCHER,
    VOUCHER_ACCEPTED_AGAIN: _payload(
        voucher_id=_id, provider_id=_id, code=_text, title=_text, amount_cents=_cents,
        first_accepted_at=fields.AwareDateTime(required=True),
        first_offline=fields.Boolean(required=True),
        accepted_at=fields.AwareDateTime(required=True),
        received_at=fields.AwareDateTime(required=True)),
    REIMBURSEMENT_REQUESTED: _payload(id=_id, employee_id=_id, amount_cents=_cents,
                                      category=_text, spent_on=_text),
    REIMBURSEMENT_APPROVED: REIMBURSEMENT,
    REIMBURSEMENT_REJECTED: REIMBURSEMENT,
    PAYOUT_SENT: _payload(id=_id, provider_id=_id, amount_cents=_cents,
                          commission_cents=fields.Integer(required=True), method=_text,
                          reference=_text, created_at=_text),
    # the link's id, never its token (wecare_common.links): nothing kept opens it
    # the email's language: the person's where it is known (an employee's), else the
    # language of the request that sent it (the page's, its Accept-Language's)
    USER_INVITED: _payload(user_id=_id, email=fields.Email(required=True), role=_text,
                           name=fields.String(load_default=""), link_id=_text,
                           expires_in_hours=fields.Integer(required=True),
                           language=_language),
    PASSWORD_RESET_REQUESTED: _payload(user_id=_id, email=fields.Email(required=True),
                                       role=_text, link_id=_text,
                                       expires_in_hours=fields.Integer(required=True),
                                       language=_language),
    PROVIDER_APPLIED: _payload(user_id=_id, email=fields.Email(required=True), name=_text,
                               vat_number=_text, known=fields.Boolean(required=True),
                               link_id=fields.String(load_default=None, allow_none=True),
                               expires_in_hours=fields.Integer(required=True),
                               language=_language),
    BONUS_OFFERED: _payload(employee_ids=fields.List(fields.String(), required=True),
                            **_OFFER),
    BONUS_REMINDED: _payload(employees=fields.List(fields.Dict(), required=True), **_OFFER),
    BONUS_SETTLED: _payload(results=fields.List(fields.Dict(), required=True), **_OFFER),
    NETWORK_MEMBER_INVITED: _payload(id=_id, network_id=_id, company_id=_id,
                                     network_name=_text, company_name=_text),
    NETWORK_MEMBER_JOINED: MEMBERSHIP,
    NETWORK_MEMBER_LEFT: MEMBERSHIP,
    AGREEMENT_PROPOSED: _payload(network_name=_text, offering_title=_text,
                                 **AGREEMENT._declared_fields),
    AGREEMENT_ACCEPTED: AGREEMENT,
    AGREEMENT_ENDED: AGREEMENT,
}
EVENT_TYPES: tuple[str, ...] = tuple(PAYLOADS)

# one instance per schema: loading is stateless, and making one costs more than a load
_LOADERS = {kind: schema() for kind, schema in PAYLOADS.items()}


def load_payload(event: dict[str, Any]) -> dict[str, Any]:
    """An event's payload, checked against its type (a ValidationError names the
    fields; a consumer parks the event with it)."""
    loaded: dict[str, Any] = _LOADERS[event["type"]].load(event["payload"])
    return loaded
