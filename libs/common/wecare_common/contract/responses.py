"""What the gateway answers: each success leaves through its response schema
(gateway.routing dumps it), so what a schema here declares is what a client gets,
and /api/v1/openapi.json is generated from the same classes. The services return
these shapes; a field they add reaches nobody until it is declared here."""

from __future__ import annotations

from marshmallow import INCLUDE, Schema, fields


class Out(Schema):
    """A response: the fields named here are what leaves, and all that does."""

    class Meta:
        unknown = INCLUDE


def page_of(item: type[Schema], name: str) -> type[Schema]:
    """A page of a list: its items and the cursor of the next page (None at the end)."""
    return type(name, (Out,), {"items": fields.List(fields.Nested(item)),
                               "next_cursor": fields.String(allow_none=True)})


class TokenOut(Out):
    access_token = fields.String()
    token_type = fields.String()
    expires_in = fields.Integer()
    role = fields.String()
    refresh_token = fields.String(metadata={"description": "for POST /api/v1/auth/refresh"})


class InvitationOut(Out):
    id = fields.String()
    email = fields.String()
    role = fields.String()


class PersonOut(Out):
    email = fields.String()
    first_name = fields.String()
    last_name = fields.String()


class CompanyOut(Out):
    id = fields.String()
    name = fields.String()
    vat_number = fields.String()
    hr_manager = fields.Nested(PersonOut, metadata={"description": "who registered it"})
    fund_balance_cents = fields.Integer()
    created_at = fields.String()


class EmployeeOut(Out):
    id = fields.String()
    company_id = fields.String()
    email = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    fiscal_code = fields.String()
    dependent_children = fields.List(fields.String())
    language = fields.String()
    group = fields.String(allow_none=True)
    hire_date = fields.String(allow_none=True)
    income_band = fields.String(allow_none=True)
    status = fields.String()
    left_on = fields.String(allow_none=True)
    created_at = fields.String()


class ImportOut(Out):
    imported = fields.Integer()
    employees = fields.List(fields.Nested(EmployeeOut))


EmployeePage = page_of(EmployeeOut, "EmployeePage")


# -- HR's console: the employees table, the import's dry run, the dashboard --------------
class EmployeeRow(EmployeeOut):
    invitation_pending = fields.Boolean(metadata={
        "description": "invited, and no password set yet"})


class EmployeeTable(Out):
    items = fields.List(fields.Nested(EmployeeRow))
    next_cursor = fields.String(allow_none=True)
    total = fields.Integer(metadata={"description": "how many match, over every page"})
    page = fields.Integer()
    pages = fields.Integer()


class ImportRow(Out):
    row = fields.Integer(metadata={"description": "the line of the file (1 is the header)"})
    email = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    fiscal_code = fields.String()
    dependent_children = fields.List(fields.String())
    language = fields.String()
    group = fields.String(allow_none=True)
    income_band = fields.String(allow_none=True)
    hire_date = fields.String(allow_none=True)


class ImportPreviewOut(Out):
    valid = fields.Boolean(metadata={"description": "true: every row would import"})
    rows = fields.Integer(metadata={"description": "rows in the file"})
    importable = fields.Integer()
    employees = fields.List(fields.Nested(ImportRow))
    errors = fields.Dict(metadata={"description": "line → field → reasons (English)"})
    problems = fields.Dict(metadata={"description": "line → field → its problems, each "
                                     "{code, params} as in x-refusals"})


class InvitationResentOut(Out):
    employee_id = fields.String()
    email = fields.String()
    sent = fields.Boolean()


class DashboardMonth(Out):
    month = fields.Integer()
    topped_up_cents = fields.Integer()
    granted_cents = fields.Integer()
    returned_cents = fields.Integer()
    spent_cents = fields.Integer()


class DashboardCategory(Out):
    category = fields.String()
    spent_cents = fields.Integer()


class DashboardPlan(Out):
    plan_id = fields.String()
    name = fields.String()
    valid_until = fields.String()
    leftover_policy = fields.String()
    amount_cents = fields.Integer(metadata={"description": "credit employees still hold"})
    employees = fields.Integer()
    expiring = fields.Boolean()


class DashboardOut(Out):
    company_id = fields.String()
    year = fields.Integer()
    fund_balance_cents = fields.Integer()
    topped_up_cents = fields.Integer()
    granted_cents = fields.Integer()
    returned_cents = fields.Integer(metadata={
        "description": "credit back in the fund (plans ended, leavers)"})
    spent_cents = fields.Integer(metadata={
        "description": "vouchers bought and kept, reimbursements paid"})
    outstanding_cents = fields.Integer()
    expiring_cents = fields.Integer()
    expiring_days = fields.Integer()
    employees = fields.Integer()
    plans = fields.List(fields.Nested(DashboardPlan))
    by_category = fields.List(fields.Nested(DashboardCategory))
    by_month = fields.List(fields.Nested(DashboardMonth))


class PayeeOut(Out):
    name = fields.String()
    iban = fields.String()
    bic = fields.String()


class FundingOptionsOut(Out):
    bank_transfer = fields.Boolean()
    card_available = fields.Boolean(metadata={
        "description": "card or SEPA Direct Debit through Stripe's Payment Element"})
    stripe_publishable_key = fields.String(allow_none=True, metadata={
        "description": "for Stripe.js in the browser (null when card_available is false)"})
    card_methods = fields.List(fields.String())


class TopupOut(Out):
    id = fields.String()
    company_id = fields.String()
    amount_cents = fields.Integer()
    method = fields.String()
    status = fields.String()
    bank_reference = fields.String()
    pay_to = fields.Nested(PayeeOut, metadata={
        "description": "bank transfer: the account to pay, quoting bank_reference"})
    client_secret = fields.String()
    created_at = fields.String()


class PlanOut(Out):
    id = fields.String()
    company_id = fields.String()
    name = fields.String()
    fiscal_year = fields.Integer()
    valid_from = fields.String()
    valid_until = fields.String()
    categories = fields.List(fields.String())
    leftover_policy = fields.String()
    target_groups = fields.List(fields.String(), allow_none=True)
    per_employee_budget_cents = fields.Integer(allow_none=True)
    version = fields.Integer(metadata={"description": "raised by each change"})
    template_id = fields.String(allow_none=True, metadata={
        "description": "the network's shared plan this plan adopts, if any"})
    created_at = fields.String()


class CompanyTopupOut(TopupOut):
    """A top-up in the company's own list."""


CompanyTopupPage = page_of(CompanyTopupOut, "CompanyTopupPage")


class PlanItem(PlanOut):
    """A plan in the company's list."""


PlanPage = page_of(PlanItem, "PlanPage")


class GrantOut(Out):
    id = fields.String()
    plan_id = fields.String()
    source = fields.String()
    amount_cents = fields.Integer()
    employee_count = fields.Integer()
    total_cents = fields.Integer()
    employee_ids = fields.List(fields.String(), metadata={
        "description": "who received it (each the amount_cents)"})
    transaction_id = fields.String(metadata={"description": "the wallet's ledger transaction"})
    created_at = fields.String()
    replayed = fields.Boolean(metadata={
        "description": "true: this key's grant was already made; nothing moved again"})


class GrantProblem(Out):
    employee_id = fields.String()
    reason = fields.String(metadata={"description": "budget, income_band or bonus_cap"})
    room_cents = fields.Integer(metadata={"description": "what this person may still get"})


class GrantCheckOut(Out):
    plan_id = fields.String()
    fiscal_year = fields.Integer()
    source = fields.String()
    amount_cents = fields.Integer()
    employee_count = fields.Integer()
    total_cents = fields.Integer()
    employee_ids = fields.List(fields.String(), metadata={"description": "the first 200"})
    excluded_count = fields.Integer(metadata={
        "description": "to everyone, converting a bonus: active employees of the plan "
                       "left out for their income band"})
    problem_count = fields.Integer()
    problems = fields.List(fields.Nested(GrantProblem), metadata={
        "description": "each person the grant would be refused for (the first 200)"})
    per_employee_budget_cents = fields.Integer(allow_none=True)
    bonus_cap_cents = fields.Integer()
    bonus_income_max_cents = fields.Integer()
    fund_balance_cents = fields.Integer()
    fund_short_cents = fields.Integer(metadata={"description": "0 when the fund suffices"})


class PlanBalance(Out):
    plan_id = fields.String()
    name = fields.String()
    balance_cents = fields.Integer()
    valid_until = fields.String()
    categories = fields.List(fields.String())
    expiring = fields.Boolean()


class FringeOut(Out):
    year = fields.Integer()
    used_cents = fields.Integer()
    limit_cents = fields.Integer(allow_none=True)
    room_cents = fields.Integer(allow_none=True)


class WalletOut(Out):
    employee_id = fields.String()
    plans = fields.List(fields.Nested(PlanBalance))
    total_cents = fields.Integer()
    expiring_cents = fields.Integer()
    fringe = fields.Nested(FringeOut, metadata={
        "description": "this year's fringe benefits (TUIR art. 51 c.3): used, limit, room"})


class StatementLine(Out):
    id = fields.String()
    kind = fields.String()
    amount_cents = fields.Integer()
    plan_id = fields.String(allow_none=True)
    occurred_at = fields.String()


class StatementOut(Out):
    items = fields.List(fields.Nested(StatementLine))
    next_cursor = fields.String(allow_none=True)


class Located(Out):
    """Where a provider is, as every answer that shows one on a map says it."""

    city = fields.String()
    province = fields.String()
    lat = fields.Float()
    lon = fields.Float()


class Place(Located):
    """Where a provider is, with its street address."""

    address = fields.String()


class ProviderOut(Place):
    id = fields.String()
    name = fields.String()
    vat_number = fields.String()
    categories = fields.List(fields.String())
    email = fields.String()
    language = fields.String(metadata={"description": "the language of its emails"})
    status = fields.String()
    commission_bps = fields.Integer(allow_none=True)
    agreement_start = fields.String(allow_none=True)
    created_at = fields.String()


class OfferingOut(Out):
    id = fields.String()
    provider_id = fields.String()
    title = fields.String()
    description = fields.String()
    category = fields.String()
    price_cents = fields.Integer()
    delivery = fields.String()
    valid_from = fields.String(allow_none=True)
    valid_until = fields.String(allow_none=True)
    status = fields.String()
    created_at = fields.String()


class NetworkOfferOut(Out):
    network_id = fields.String()
    network_name = fields.String()
    agreement_id = fields.String()
    price_cents = fields.Integer(metadata={"description": "what the employee pays"})
    discount_bps = fields.Integer(allow_none=True)


_NETWORK_OFFER = fields.Nested(NetworkOfferOut, allow_none=True, metadata={
    "description": "for an employee of a network's member: the network's agreed price"})


class OfferingHit(OfferingOut, Located):
    network_offer = _NETWORK_OFFER
    provider_name = fields.String()
    distance_km = fields.Float(allow_none=True)


class OfferingDetail(OfferingOut, Place):
    network_offer = _NETWORK_OFFER
    provider_name = fields.String()
    provider_status = fields.String()


OfferingList = page_of(OfferingOut, "OfferingList")


class OfflineLimitsOut(Out):
    voucher_cents = fields.Integer(metadata={
        "description": "the most one voucher accepted without a network may be worth"})
    waiting_cents = fields.Integer(metadata={
        "description": "the most accepted without a network and not yet sent"})
    hours = fields.Integer(metadata={
        "description": "how long an acceptance may wait on the phone; 0: none offline"})


class MeOut(Out):
    user_id = fields.String()
    email = fields.String()
    role = fields.String()
    company_id = fields.String(allow_none=True)
    employee_id = fields.String(allow_none=True)
    provider_id = fields.String(allow_none=True)
    network_id = fields.String(allow_none=True)
    read_only_until = fields.AwareDateTime(allow_none=True, metadata={
        "description": "an employee who left: until when they may read and download "
                       "(docs/api.md#how-access-ends); null otherwise"})
    provider = fields.Nested(ProviderOut, allow_none=True, metadata={
        "description": "for a provider: its application or agreement"})
    offline_limits = fields.Nested(OfflineLimitsOut, allow_none=True, metadata={
        "description": "for a provider: what its phone may accept without a network "
                       "(docs/offline.md); null otherwise"})


class CircuitProvider(Place):
    id = fields.String()
    name = fields.String()
    categories = fields.List(fields.String())


CircuitPage = page_of(CircuitProvider, "CircuitPage")


class ProposalOut(Out):
    id = fields.String()
    name = fields.String()
    city = fields.String()
    category = fields.String()
    status = fields.String(metadata={"description": "invited, applied or approved"})
    provider_id = fields.String(allow_none=True)
    created_at = fields.String()


ProposalPage = page_of(ProposalOut, "ProposalPage")


OfferingPage = page_of(OfferingHit, "OfferingPage")


class NotificationOut(Out):
    id = fields.String()
    kind = fields.String()
    subject = fields.String()
    body = fields.String()
    created_at = fields.String()
    read_at = fields.String(allow_none=True)


NotificationPage = page_of(NotificationOut, "NotificationPage")


class PreferencesOut(Out):
    language = fields.String()
    non_essential_email = fields.Boolean()


class FailedEmail(Out):
    id = fields.String()
    event_id = fields.String()
    recipient = fields.String()
    email_to = fields.String()
    kind = fields.String()
    attempts = fields.Integer()
    error = fields.String(allow_none=True)


class FailedEmails(Out):
    items = fields.List(fields.Nested(FailedEmail))


class RetriedOut(Out):
    sent = fields.Integer()


class AuditOut(Out):
    balanced = fields.Boolean()
    sum_cents = fields.Integer()
    accounts = fields.Integer()
    negative_accounts = fields.List(fields.String())
    drifted_accounts = fields.List(fields.String(), metadata={
        "description": "stored balance differs from the sum of postings"})
    unbalanced_transactions = fields.List(fields.String())


class VoucherOut(Out):
    id = fields.String()
    employee_id = fields.String()
    code = fields.String()
    offering_id = fields.String()
    provider_id = fields.String()
    plan_id = fields.String()
    title = fields.String()
    category = fields.String()
    amount_cents = fields.Integer()
    status = fields.String()
    expires_at = fields.String()
    created_at = fields.String()
    redeemed_at = fields.String(allow_none=True)
    list_price_cents = fields.Integer(allow_none=True, metadata={
        "description": "bought at a network's agreed price: the offering's own price"})
    agreement_id = fields.String(allow_none=True)
    signed = fields.String(allow_none=True, metadata={
        "description": "while issued: the QR's text, WC1.<payload>.<signature>, that a "
                       "provider's phone checks without a network (docs/offline.md); "
                       "null otherwise"})
    accepted_offline_at = fields.String(allow_none=True, metadata={
        "description": "when a provider's phone accepted it without a network"})
    cancel_takes_effect_at = fields.String(allow_none=True, metadata={
        "description": "status cancelling: when the cancellation takes effect, once no "
                       "phone can still send it as accepted offline (docs/offline.md)"})
    cancellation_refused = fields.String(allow_none=True, metadata={
        "description": "voucher_redeemed_offline: a phone's acceptance sent during the "
                       "offline window was paid instead of the cancellation"})


VoucherPage = page_of(VoucherOut, "VoucherPage")


class RefusalOut(Out):
    code = fields.String()
    message = fields.String()
    params = fields.Dict()


class OfflineOutcomeOut(Out):
    code = fields.String(allow_none=True, metadata={"description": "the voucher's code, "
                                                    "when the QR could be read"})
    outcome = fields.String(metadata={
        "description": "recorded | already_redeemed_by_you | refused"})
    voucher = fields.Nested(VoucherOut, allow_none=True)
    refusal = fields.Nested(RefusalOut, allow_none=True)
    redeemed_at = fields.String(allow_none=True)


class OfflineRedemptionsOut(Out):
    items = fields.List(fields.Nested(OfflineOutcomeOut), metadata={
        "description": "one per item sent, in the same order"})


class OfflineDuplicateOut(Out):
    voucher_id = fields.String()
    code = fields.String()
    amount_cents = fields.Integer()
    device_id = fields.String()
    accepted_at = fields.String()
    received_at = fields.String()
    first_redeemed_at = fields.String(allow_none=True)
    first_device_id = fields.String(allow_none=True, metadata={
        "description": "the phone that redeemed it first; null: redeemed online"})


class OfflineDuplicatesOut(Out):
    items = fields.List(fields.Nested(OfflineDuplicateOut))


class VoucherKeyOut(Out):
    kid = fields.String()
    public_key = fields.String(metadata={"description": "Ed25519, raw 32 bytes, base64url"})
    not_before = fields.String(metadata={"description": "signs from (UTC)"})
    not_after = fields.String(metadata={"description": "believed until, exclusive (UTC)"})


class VoucherKeysOut(Out):
    keys = fields.List(fields.Nested(VoucherKeyOut))


class PayoutOut(Out):
    id = fields.String()
    run_id = fields.String(allow_none=True, metadata={"description": "the settlement run"})
    provider_id = fields.String()
    amount_cents = fields.Integer()
    commission_cents = fields.Integer()
    method = fields.String()
    # pending: recorded, its Stripe transfer not made yet (retried by the next run); sent
    status = fields.String()
    reference = fields.String(allow_none=True)  # the transfer's or SEPA's, once sent
    created_at = fields.String()


class RedemptionOut(Out):
    voucher_id = fields.String()
    code = fields.String()
    offering_id = fields.String()
    title = fields.String()
    category = fields.String()
    amount_cents = fields.Integer(metadata={"description": "the voucher's face value"})
    commission_bps = fields.Integer()
    commission_cents = fields.Integer(metadata={"description": "the platform's share"})
    net_cents = fields.Integer(metadata={"description": "what the provider is paid for it"})
    redeemed_at = fields.String()
    settled_at = fields.String(allow_none=True, metadata={
        "description": "when a payout included it; null while it is still payable"})


class RedeemedSince(Out):
    since = fields.String()
    count = fields.Integer()
    amount_cents = fields.Integer()
    commission_cents = fields.Integer()
    net_cents = fields.Integer()


class SettlementsOut(Out):
    provider_id = fields.String()
    payable_cents = fields.Integer()
    commission_bps = fields.Integer()
    unsettled_vouchers = fields.Integer()
    unsettled_face_value_cents = fields.Integer()
    payouts = fields.List(fields.Nested(PayoutOut))
    next_cursor = fields.String(allow_none=True)
    redemptions = fields.List(fields.Nested(RedemptionOut), metadata={
        "description": "redeemed vouchers, newest first, with the commission on each"})
    redemptions_next_cursor = fields.String(allow_none=True)
    redeemed_since = fields.Nested(RedeemedSince, allow_none=True, metadata={
        "description": "with `since`: the vouchers redeemed from then"})


class SettlementRunOut(Out):
    id = fields.String()
    created_at = fields.String()
    payouts = fields.List(fields.Nested(PayoutOut))
    total_cents = fields.Integer()
    sepa_xml = fields.String(allow_none=True,
                             metadata={"description": "pain.001 credit transfers for the bank"})


class WebhookOut(Out):
    received = fields.String()
    outcome = fields.String()


class ReimbursementOut(Out):
    id = fields.String()
    company_id = fields.String()
    employee_id = fields.String()
    plan_id = fields.String()
    category = fields.String()
    amount_cents = fields.Integer()
    spent_on = fields.String()
    provider_tax_id = fields.String()
    beneficiary_fiscal_code = fields.String()
    status = fields.String(metadata={"description": "requested, approved or rejected"})
    receipt_content_type = fields.String(metadata={
        "description": "the receipt's type: GET …/reimbursements/{rid}/receipt serves it"})
    reason = fields.String(allow_none=True)
    created_at = fields.String()
    decided_at = fields.String(allow_none=True)


ReimbursementPage = page_of(ReimbursementOut, "ReimbursementPage")


class ReportRow(Out):
    employee_id = fields.String()
    fiscal_code = fields.String()
    last_name = fields.String()
    first_name = fields.String()
    category = fields.String()
    used_cents = fields.Integer()
    exempt_cents = fields.Integer()
    fringe_within_limit_cents = fields.Integer()
    taxable_cents = fields.Integer()


class BonusOutcome(Out):
    """An employee's part of a bonus offer: the choice, and at the deadline its outcome."""

    welfare_cents = fields.Integer(allow_none=True, metadata={
        "description": "the welfare part chosen; null: no choice (paid in cash)"})
    chosen_at = fields.String(allow_none=True)
    outcome = fields.String(allow_none=True, metadata={
        "description": "at the deadline: as_chosen, no_choice (all cash), limited (the "
                       "year's room or the plan's budget took less), left, not_eligible"})
    granted_welfare_cents = fields.Integer(allow_none=True)
    cash_cents = fields.Integer(allow_none=True, metadata={
        "description": "paid with the payroll"})
    at_substitute_tax_cents = fields.Integer(allow_none=True)
    contributions_cents = fields.Integer(allow_none=True, metadata={
        "description": "the employee's contributions on the cash part, at the company's rate"})
    substitute_tax_base_cents = fields.Integer(allow_none=True)
    substitute_tax_cents = fields.Integer(allow_none=True)
    ordinary_cents = fields.Integer(allow_none=True, metadata={
        "description": "cash taxed at ordinary rates (past the year's room, or over the "
                       "income ceiling)"})


class ReportBonusRow(BonusOutcome):
    employee_id = fields.String()
    fiscal_code = fields.String()
    last_name = fields.String()
    first_name = fields.String()
    offer_id = fields.String()
    offer_name = fields.String()
    paid_on = fields.String()
    amount_cents = fields.Integer()


class ReportOut(Out):
    company_id = fields.String()
    year = fields.Integer()
    rows = fields.List(fields.Nested(ReportRow))
    totals = fields.Dict()
    substitute_tax_bps = fields.Integer(metadata={"description": "the year's substitute tax"})
    bonuses = fields.List(fields.Nested(ReportBonusRow), metadata={
        "description": "each employee's performance bonus paid in the year"})
    bonus_totals = fields.Dict()


class CategoryRuleOut(Out):
    category = fields.String()
    legal_basis = fields.String()
    cash_reimbursable = fields.Boolean(metadata={
        "description": "false: paid only by voucher or to the fund, never back in cash"})
    yearly_limit_cents = fields.Integer(allow_none=True, metadata={
        "description": "per employee and year; null: no limit"})
    yearly_limit_basis = fields.String(allow_none=True)


class FringeRulesOut(Out):
    limit_cents = fields.Integer()
    limit_with_children_cents = fields.Integer(metadata={
        "description": "for employees who declared dependent children"})
    legal_basis = fields.String()


class CumulativeVoucherOut(Out):
    max_cents = fields.Integer(metadata={
        "description": "a multi-item voucher, for fringe goods only"})
    legal_basis = fields.String()


class IrpefBracketOut(Out):
    up_to_cents = fields.Integer(allow_none=True, metadata={
        "description": "the slice's top of taxable income; null: no top"})
    rate_bps = fields.Integer(metadata={"description": "the rate on the slice (2300 = 23%)"})


class IrpefOut(Out):
    brackets = fields.List(fields.Nested(IrpefBracketOut))
    legal_basis = fields.String()


class EstimateBandOut(Out):
    band = fields.String()
    income_cents = fields.Integer(metadata={
        "description": "the gross yearly pay an estimate assumes for the band"})


class EstimatesOut(Out):
    inps_employee_bps = fields.Integer(metadata={
        "description": "the employee's contribution rate an estimate assumes unless the "
                       "company set its own"})
    inps_employee_basis = fields.String()
    surcharges_bps = fields.Integer(metadata={
        "description": "regional and municipal IRPEF surcharges together, unless the "
                       "company set its own"})
    surcharges_basis = fields.String()
    bands = fields.List(fields.Nested(EstimateBandOut))
    default_band = fields.String(metadata={
        "description": "the band assumed when neither the employee nor the company said"})


class PerformanceBonusOut(Out):
    cap_cents = fields.Integer(metadata={
        "description": "per employee and year: the bonus taxed at the substitute rate and "
                       "the bonus converted into welfare credit, together"})
    cap_basis = fields.String()
    income_max_cents = fields.Integer(metadata={
        "description": "previous-year employment income at most this (income_band "
                       "up_to_80k)"})
    income_max_basis = fields.String()
    substitute_tax_bps = fields.Integer(metadata={
        "description": "substitute tax on the bonus taken in cash, in basis points "
                       "(100 = 1%)"})
    substitute_tax_basis = fields.String()


class FiscalRulesOut(Out):
    year = fields.Integer()
    listed = fields.Boolean(metadata={
        "description": "false: a year WeCare's table does not list; the statutes' "
                       "standing figures apply, check the current law"})
    categories = fields.List(fields.Nested(CategoryRuleOut))
    fringe = fields.Nested(FringeRulesOut)
    cumulative_voucher = fields.Nested(CumulativeVoucherOut)
    performance_bonus = fields.Nested(PerformanceBonusOut)
    irpef = fields.Nested(IrpefOut, metadata={
        "description": "state income tax by slice of taxable income, before tax credits"})
    estimates = fields.Nested(EstimatesOut, metadata={
        "description": "what salary-equivalent estimates assume by default"})


class HealthOut(Out):
    status = fields.String()
    services = fields.Dict()


class ErrorDetail(Out):
    code = fields.String(metadata={
        "description": "which refusal: one of x-refusals (docs/api.md#refusal-codes)"})
    message = fields.String(metadata={"description": "in English, for people reading logs; "
                                      "a client decides by code and params, never by this"})
    params = fields.Dict(metadata={"description": "the code's parameters, typed as x-refusals "
                                   "declares them"})
    # `fields` itself would shadow Schema.fields
    fields_ = fields.Dict(data_key="fields", metadata={"description": "field → reasons"})
    problems = fields.Dict(metadata={"description": "field → its problems, each "
                                     "{code, params} as in x-refusals"})


class ErrorOut(Out):
    error = fields.Nested(ErrorDetail)


# -- operators (admin) ---------------------------------------------------------------------
class ProviderAdminOut(ProviderOut):
    """A provider in the operators' list; a suspended one with what it is still owed
    (the next settlement run pays it) and the redemptions refused since its suspension."""

    owed_cents = fields.Integer(allow_none=True)
    refused_redemptions = fields.Integer(allow_none=True)
    offline_duplicates = fields.Integer(allow_none=True, metadata={
        "description": "vouchers its phones accepted offline after they were redeemed "
                       "(paid once; docs/offline.md)"})
    last_refused_at = fields.String(allow_none=True)


ProviderPage = page_of(ProviderAdminOut, "ProviderPage")


class TopupListedOut(TopupOut):
    company_name = fields.String(allow_none=True)
    created_at = fields.String()


TopupPage = page_of(TopupListedOut, "TopupPage")


class SettlementLineOut(Out):
    provider_id = fields.String()
    provider_name = fields.String(allow_none=True)
    vouchers = fields.Integer(metadata={"description": "redeemed, not yet settled"})
    gross_cents = fields.Integer(metadata={"description": "their face value"})
    commission_cents = fields.Integer()
    net_cents = fields.Integer(metadata={"description": "what the run pays: the payable"})
    method = fields.String(allow_none=True, metadata={"description": "sepa or stripe; null: "
                                                      "nowhere to pay, the balance waits"})
    payable = fields.Boolean()


class SettlementPreviewOut(Out):
    items = fields.List(fields.Nested(SettlementLineOut))
    total_gross_cents = fields.Integer()
    total_commission_cents = fields.Integer()
    total_net_cents = fields.Integer()
    waiting_cents = fields.Integer()


class SettlementRunListed(Out):
    id = fields.String()
    created_at = fields.String()
    payouts = fields.Integer()
    total_cents = fields.Integer()
    has_sepa = fields.Boolean()


SettlementRunPage = page_of(SettlementRunListed, "SettlementRunPage")


class RunPayoutOut(PayoutOut):
    provider_name = fields.String(allow_none=True)


class SettlementRunDetail(Out):
    id = fields.String()
    created_at = fields.String()
    payouts = fields.List(fields.Nested(RunPayoutOut))
    total_cents = fields.Integer()
    has_sepa = fields.Boolean()


class DeadLetterOut(Out):
    id = fields.String(metadata={"description": "this parked message's handle, to replay it"})
    message_id = fields.String(allow_none=True)
    queue = fields.String(allow_none=True, metadata={"description": "the consumer it failed in"})
    error = fields.String(allow_none=True, metadata={"description": "why it was parked"})
    attempts = fields.Integer(allow_none=True)
    event_id = fields.String(allow_none=True)
    event_type = fields.String(allow_none=True)
    occurred_at = fields.String(allow_none=True)
    producer = fields.String(allow_none=True)
    body = fields.Raw(metadata={"description": "the message as parked (an event envelope)"})


class DeadLettersOut(Out):
    items = fields.List(fields.Nested(DeadLetterOut))


class ReplayedOut(Out):
    id = fields.String()
    replayed = fields.Boolean()


# -- what welfare is worth (docs/fiscal-rules.md#what-welfare-is-worth) -------------------
class EstimateSettingsOut(Out):
    company_id = fields.String()
    inps_employee_bps = fields.Integer()
    inps_employee_default = fields.Boolean(metadata={"description": "the published default"})
    inps_employee_basis = fields.String(metadata={"description": "the default's basis"})
    surcharges_bps = fields.Integer()
    surcharges_default = fields.Boolean()
    surcharges_basis = fields.String()
    band = fields.String()
    band_default = fields.Boolean()
    band_income_cents = fields.Integer(metadata={
        "description": "the gross yearly pay the band's estimates assume"})


class IncomeEstimateOut(Out):
    income_cents = fields.Integer(allow_none=True, metadata={
        "description": "your approximate gross yearly income; null: none given (the "
                       "company's band is assumed). Only you see it"})


class EstimateOut(Out):
    year = fields.Integer()
    source = fields.String(metadata={
        "description": "employee: your own figure; company_band: your company's band"})
    band = fields.String(allow_none=True)
    income_cents = fields.Integer()
    inps_employee_bps = fields.Integer()
    surcharges_bps = fields.Integer()
    marginal_irpef_bps = fields.Integer(metadata={
        "description": "the IRPEF rate on the next euro of that income"})


class TreatmentOut(Out):
    kind = fields.String(metadata={
        "description": "exempt (tax-free without limit), fringe (within the year's "
                       "fringe limit), taxable (past it) or limited (up to a yearly limit)"})
    legal_basis = fields.String()
    room_before_cents = fields.Integer(allow_none=True)
    room_after_cents = fields.Integer(allow_none=True)
    limit_cents = fields.Integer(allow_none=True)


class WorthOut(Out):
    amount_cents = fields.Integer()
    gross_equivalent_cents = fields.Integer(metadata={
        "description": "the gross salary the company would have had to pay for you to "
                       "take home the same amount"})
    as_salary_net_cents = fields.Integer(metadata={
        "description": "what the same amount paid as salary would reach you as"})
    saving_cents = fields.Integer(metadata={"description": "tax and contributions not "
                                                           "withheld"})
    pension_contributions_cents = fields.Integer(metadata={
        "description": "your contributions the same amount as salary would have paid "
                       "towards your pension, and welfare does not"})
    category = fields.String(allow_none=True)
    treatment = fields.Nested(TreatmentOut, allow_none=True)
    estimate = fields.Nested(EstimateOut)


# -- performance-bonus offers (docs/domain.md#bonus-offers) --------------------------------
class BonusOfferOut(Out):
    id = fields.String()
    company_id = fields.String()
    plan_id = fields.String()
    plan_name = fields.String(allow_none=True)
    name = fields.String()
    agreement = fields.String()
    amount_cents = fields.Integer(metadata={"description": "to each employee"})
    deadline = fields.String(metadata={"description": "the last day to choose"})
    closes_at = fields.String(metadata={"description": "midnight after it, Italian time"})
    fiscal_year = fields.Integer()
    status = fields.String(metadata={"description": "open, settling or settled"})
    open = fields.Boolean()
    employee_count = fields.Integer()
    chosen_count = fields.Integer()
    not_chosen_count = fields.Integer()
    welfare_chosen_cents = fields.Integer()
    cash_chosen_cents = fields.Integer()
    welfare_granted_cents = fields.Integer(allow_none=True)
    cash_paid_cents = fields.Integer(allow_none=True)
    substitute_tax_cents = fields.Integer(allow_none=True)
    grants_waiting = fields.Integer(metadata={
        "description": "welfare parts the wallet refused for now (a fund short): asked "
                       "again every minute"})
    created_at = fields.String()
    settled_at = fields.String(allow_none=True)


BonusOfferPage = page_of(BonusOfferOut, "BonusOfferPage")


class BonusOfferEmployee(BonusOutcome):
    employee_id = fields.String()
    first_name = fields.String()
    last_name = fields.String()
    fiscal_code = fields.String()
    status = fields.String()
    waiting = fields.Boolean()
    problem = fields.String(allow_none=True)


class BonusOfferDetail(BonusOfferOut):
    employees = fields.List(fields.Nested(BonusOfferEmployee))


class BonusCashOut(Out):
    cash_cents = fields.Integer()
    at_substitute_tax_cents = fields.Integer()
    contributions_cents = fields.Integer()
    substitute_tax_base_cents = fields.Integer()
    substitute_tax_cents = fields.Integer()
    ordinary_cents = fields.Integer()
    ordinary_tax_cents = fields.Integer(metadata={"description": "IRPEF and surcharges on "
                                                                 "the ordinary part (estimate)"})
    net_cents = fields.Integer()


class BonusComparisonOut(Out):
    amount_cents = fields.Integer()
    welfare_cents = fields.Integer()
    cash = fields.Nested(BonusCashOut)
    take_home_cents = fields.Integer(metadata={"description": "welfare plus the cash net"})
    all_cash_net_cents = fields.Integer(metadata={"description": "taking it all in cash"})
    gain_cents = fields.Integer()
    pension_contributions_forgone_cents = fields.Integer(metadata={
        "description": "your contributions the welfare part does not pay towards your "
                       "pension"})


class MyBonusOfferOut(Out):
    id = fields.String()
    name = fields.String()
    agreement = fields.String()
    plan_name = fields.String(allow_none=True)
    plan_valid_until = fields.String(allow_none=True)
    amount_cents = fields.Integer()
    deadline = fields.String()
    closes_at = fields.String()
    fiscal_year = fields.Integer()
    status = fields.String()
    open = fields.Boolean()
    days_left = fields.Integer()
    eligible = fields.Boolean()
    room_cents = fields.Integer(metadata={"description": "left of the year's cap for this "
                                                         "offer"})
    max_welfare_cents = fields.Integer()
    cap_cents = fields.Integer()
    substitute_tax_bps = fields.Integer()
    substitute_tax_basis = fields.String()
    choice = fields.Nested(BonusOutcome)
    comparison = fields.Nested(BonusComparisonOut)
    estimate = fields.Nested(EstimateOut)


MyBonusOfferPage = page_of(MyBonusOfferOut, "MyBonusOfferPage")
# -- networks of firms (docs/domain.md#networks) ------------------------------------------
class TerritoryOut(Out):
    provinces = fields.List(fields.String())
    municipalities = fields.List(fields.String())


class NetworkOut(Out):
    id = fields.String()
    slug = fields.String(metadata={"description": "its public circuit's address"})
    name = fields.String()
    kind = fields.String()
    tax_id = fields.String()
    territory = fields.Nested(TerritoryOut)
    created_at = fields.String()


NetworkPage = page_of(NetworkOut, "NetworkPage")


class NetworkPublicOut(Out):
    id = fields.String()
    slug = fields.String()
    name = fields.String()
    kind = fields.String()
    territory = fields.Nested(TerritoryOut)


class MembershipOut(Out):
    id = fields.String()
    network_id = fields.String()
    company_id = fields.String()
    status = fields.String(metadata={
        "description": "invited, active, declined, withdrawn or left"})
    municipality = fields.String()
    province = fields.String()
    invited_at = fields.String()
    answered_at = fields.String(allow_none=True)
    joined_at = fields.String(allow_none=True)
    left_at = fields.String(allow_none=True)


class MemberOut(MembershipOut):
    """A firm as its network sees it: the firm, never its people."""

    company_name = fields.String()
    vat_number = fields.String()


MemberPage = page_of(MemberOut, "MemberPage")


class CompanyMembershipOut(MembershipOut):
    network = fields.Nested(NetworkPublicOut)


class CompanyNetworkOut(Out):
    membership = fields.Nested(CompanyMembershipOut, allow_none=True)
    invitations = fields.List(fields.Nested(CompanyMembershipOut))


class AdoptionOut(Out):
    company_id = fields.String()
    company_name = fields.String()
    plan_id = fields.String()
    adopted_at = fields.String()


class SharedPlanOut(Out):
    id = fields.String()
    network_id = fields.String()
    name = fields.String()
    description = fields.String()
    fiscal_year = fields.Integer()
    valid_from = fields.String()
    valid_until = fields.String()
    categories = fields.List(fields.String())
    leftover_policy = fields.String()
    amount_per_employee_cents = fields.Integer()
    status = fields.String(metadata={"description": "proposed or withdrawn"})
    created_at = fields.String()


class NetworkSharedPlanOut(SharedPlanOut):
    adopted_by = fields.List(fields.Nested(AdoptionOut))


NetworkSharedPlanPage = page_of(NetworkSharedPlanOut, "NetworkSharedPlanPage")


class CompanySharedPlanOut(SharedPlanOut):
    plan_id = fields.String(allow_none=True, metadata={
        "description": "the firm's own plan adopting it, once adopted"})


class CompanySharedPlanPage(Out):
    network = fields.Nested(NetworkPublicOut, allow_none=True, metadata={
        "description": "the firm's network (none: no shared plans)"})
    items = fields.List(fields.Nested(CompanySharedPlanOut))
    next_cursor = fields.String(allow_none=True)


class TerritoryProviderOut(CircuitProvider):
    network_status = fields.String(metadata={"description": "approved, withdrawn or none"})


TerritoryProviderPage = page_of(TerritoryProviderOut, "TerritoryProviderPage")


class AgreementOut(Out):
    id = fields.String()
    network_id = fields.String()
    network_name = fields.String()
    provider_id = fields.String()
    provider_name = fields.String()
    offering_id = fields.String()
    offering_title = fields.String()
    category = fields.String()
    list_price_cents = fields.Integer()
    price_cents = fields.Integer(allow_none=True)
    discount_bps = fields.Integer(allow_none=True)
    agreed_price_cents = fields.Integer(metadata={
        "description": "what a member's employee pays now (docs: agreements and prices)"})
    valid_from = fields.String(allow_none=True)
    valid_until = fields.String(allow_none=True)
    status = fields.String(metadata={
        "description": "proposed, active, declined, withdrawn or ended"})
    created_at = fields.String()
    answered_at = fields.String(allow_none=True)
    ended_at = fields.String(allow_none=True)


AgreementPage = page_of(AgreementOut, "AgreementPage")


class CircuitOffer(Out):
    offering_id = fields.String()
    title = fields.String()
    category = fields.String()
    price_cents = fields.Integer(metadata={"description": "the offering's own price"})
    discount_bps = fields.Integer(allow_none=True)
    agreed_price_cents = fields.Integer()
    valid_until = fields.String(allow_none=True)


class NetworkCircuitProvider(CircuitProvider):
    offers = fields.List(fields.Nested(CircuitOffer))


class NetworkCircuitOut(Out):
    network = fields.Nested(NetworkPublicOut)
    items = fields.List(fields.Nested(NetworkCircuitProvider))
    next_cursor = fields.String(allow_none=True)


class FigureRow(Out):
    """A cell of a network's table: it describes `people` (at least five)."""

    key = fields.String()
    label = fields.String()
    people = fields.Integer()
    firms = fields.Integer(metadata={"description": "by municipality: the member firms"})
    granted_cents = fields.Integer()
    spent_cents = fields.Integer()


class FigureTable(Out):
    rows = fields.List(fields.Nested(FigureRow))
    other = fields.Nested(FigureRow, allow_none=True, metadata={
        "description": "every cell describing fewer than five people, merged (and, while "
                       "that is under five, the smallest rows too); at least five people"})
    total = fields.Nested(FigureRow, allow_none=True)
    withheld = fields.Boolean(metadata={"description": "fewer than five people in all"})


class NetworkDashboardOut(Out):
    network = fields.Nested(NetworkPublicOut)
    year = fields.Integer()
    firms = fields.Integer(metadata={"description": "members at any time in the year"})
    current_firms = fields.Integer()
    employees_covered = fields.Integer(metadata={
        "description": "employees granted credit while their firm was a member"})
    fund_cents = fields.Integer(metadata={"description": "the current members' funds now"})
    withheld = fields.Boolean()
    totals = fields.Nested(FigureRow, allow_none=True)
    by_category = fields.Nested(FigureTable)
    by_month = fields.Nested(FigureTable)
    by_municipality = fields.Nested(FigureTable)
    by_member = fields.Nested(FigureTable)
    by_provider = fields.Nested(FigureTable)
    by_shared_plan = fields.Nested(FigureTable)


class MemberFirmOut(Out):
    name = fields.String()
    municipality = fields.String()
    province = fields.String()
    current = fields.Boolean()
    from_ = fields.String(data_key="from", attribute="from")
    until = fields.String(allow_none=True)


class NetworkReportOut(Out):
    network = fields.Nested(NetworkPublicOut)
    year = fields.Integer()
    generated_at = fields.String()
    member_firms = fields.List(fields.Nested(MemberFirmOut))
    firms = fields.Integer()
    employees_covered = fields.Integer()
    withheld = fields.Boolean()
    totals = fields.Nested(FigureRow, allow_none=True)
    by_category = fields.Nested(FigureTable)
    by_municipality = fields.Nested(FigureTable)
    by_provider = fields.Nested(FigureTable)


class WorthValueOut(Out):
    amount_cents = fields.Integer()
    gross_equivalent_cents = fields.Integer()
    as_salary_net_cents = fields.Integer()
    saving_cents = fields.Integer()
    pension_contributions_cents = fields.Integer()


class UsedTreatmentOut(Out):
    category = fields.String()
    amount_cents = fields.Integer()
    treatment = fields.Nested(TreatmentOut)


class YearBonusOut(Out):
    offer_id = fields.String()
    name = fields.String()
    amount_cents = fields.Integer()
    deadline = fields.String()
    welfare_cents = fields.Integer(allow_none=True)
    cash_cents = fields.Integer(allow_none=True)
    contributions_cents = fields.Integer(allow_none=True)
    substitute_tax_cents = fields.Integer(allow_none=True)
    ordinary_cents = fields.Integer(allow_none=True)


class WorthSummaryOut(Out):
    year = fields.Integer()
    estimate = fields.Nested(EstimateOut)
    received_cents = fields.Integer(metadata={"description": "credit granted to you in the "
                                                             "year"})
    worth = fields.Nested(WorthValueOut, metadata={"description": "what it is worth in "
                                                                  "salary terms (an estimate)"})
    converted_cents = fields.Integer(metadata={"description": "performance bonus you "
                                                              "converted into welfare"})
    bonus_cash_at_substitute_tax_cents = fields.Integer()
    bonus_cap_cents = fields.Integer()
    bonuses = fields.List(fields.Nested(YearBonusOut))
    fringe_limit_cents = fields.Integer()
    used = fields.List(fields.Nested(UsedTreatmentOut))
    used_cents = fields.Integer()


class AccountOut(Out):
    """An account, as an operator (or an HR manager, their colleagues) sees it."""

    id = fields.String()
    email = fields.String()
    role = fields.String()
    company_id = fields.String(allow_none=True)
    employee_id = fields.String(allow_none=True)
    provider_id = fields.String(allow_none=True)
    status = fields.String(metadata={
        "description": "invited (no password yet), active, read_only (left: until "
                       "access_until), access_ended, removed (by an HR colleague), disabled "
                       "(by an operator)"})
    disabled_at = fields.AwareDateTime(allow_none=True)
    left_at = fields.AwareDateTime(allow_none=True)
    access_until = fields.AwareDateTime(allow_none=True)
    created_at = fields.AwareDateTime()


AccountPage = page_of(AccountOut, "AccountPage")
