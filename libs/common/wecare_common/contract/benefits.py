"""Companies, employees, plans, grants and reimbursements: what the benefits
service accepts, and the gateway with it."""

from __future__ import annotations

from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema
from stdnum.it import codicefiscale, iva

from wecare_common import validators
from wecare_common.categories import CATEGORIES
from wecare_common.contract import notifications, refusals
from wecare_common.contract.periods import Period
from wecare_common.languages import DEFAULT
from wecare_common.schemas import Cents, PageSchema, Strings
from wecare_common.validators import Upper

Name = fields.String(required=True, validate=validate.Length(min=1, max=100))
# Formats named in the OpenAPI document (a client, or a fuzzer, can make valid ones).
CODICE_FISCALE = {"format": "codice-fiscale"}
PARTITA_IVA = {"format": "partita-iva"}
# Previous-year employment income, for performance-bonus conversion (L. 208/2015).
INCOME_BANDS = ("up_to_80k", "over_80k")
LEFTOVER_POLICIES = ("return_to_fund", "roll_over")
RECEIPT_TYPES = ("application/pdf", "image/jpeg", "image/png")
MAX_RECEIPT_BYTES = 5 * 1024 * 1024
EMPLOYEE_SORTS = ("name", "email", "fiscal_code", "group", "hire_date", "status", "added")


class HrManager(Schema):
    email = fields.Email(required=True)
    first_name = Name
    last_name = Name


class CompanyRequest(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    vat_number = Upper(required=True, validate=validators.vat_number, metadata=PARTITA_IVA)
    hr_manager = fields.Nested(HrManager, required=True)


class EmployeeRequest(Schema):
    email = fields.Email(required=True)
    first_name = Name
    last_name = Name
    fiscal_code = Upper(required=True, validate=validators.fiscal_code, metadata=CODICE_FISCALE)
    dependent_children = fields.List(Upper(validate=validators.fiscal_code,
                                           metadata=CODICE_FISCALE), load_default=list)
    language = notifications.language(load_default=DEFAULT)
    group = fields.String(load_default=None, allow_none=True,
                          validate=validate.Length(min=1, max=60))
    hire_date = fields.Date(load_default=None, allow_none=True)
    income_band = fields.String(load_default=None, allow_none=True,
                                validate=validate.OneOf(INCOME_BANDS))


class EmployeeFilters(PageSchema):
    """HR's employees table: search, sort, filter; a page (sorted) or a cursor (as
    added). Which employees (`ids`) travels as the caller's own kind of list."""

    q = fields.String(load_default=None, validate=validate.Length(min=1, max=100), metadata={
        "description": "any part of the name, email or tax code (case-insensitive)"})
    sort = fields.String(load_default=None, validate=validate.OneOf(EMPLOYEE_SORTS), metadata={
        "description": "with sort (or page): a page number at a time, with the total"})
    order = fields.String(load_default="asc", validate=validate.OneOf(["asc", "desc"]))
    page = fields.Integer(load_default=None, validate=validate.Range(min=1, max=100_000))
    status = fields.String(load_default=None, validate=validate.OneOf(["active", "left"]))
    group = fields.String(load_default=None, validate=validate.Length(min=1, max=60))


class EmployeeQuery(EmployeeFilters):
    ids = fields.List(fields.String(validate=validate.Length(max=36)), load_default=None,
                      allow_none=True, validate=validate.Length(max=200))


class DepartureRequest(Schema):
    left_on = fields.Date(required=True)


class PlanRequest(Period):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    fiscal_year = fields.Integer(required=True, strict=True,
                                 validate=validate.Range(min=2000, max=2100))
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True)
    categories = fields.List(fields.String(validate=validate.OneOf(CATEGORIES)),
                             required=True, validate=validate.Length(min=1))
    leftover_policy = fields.String(required=True,
                                    validate=validate.OneOf(LEFTOVER_POLICIES))
    target_groups = fields.List(fields.String(validate=validate.Length(min=1, max=60)),
                                load_default=None, allow_none=True)
    per_employee_budget_cents = Cents(required=False, load_default=None, allow_none=True)


class PlanChange(Schema):
    """Only what keeps the promises a running plan made (an ended plan does not change):
    valid_until not before today (nor, once credit was granted, earlier than 14 days
    from today), categories only added, per_employee_budget_cents not below what one
    employee was granted (set where there was none only before the first grant);
    fiscal_year and valid_from never change (benefits.plans says when)."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    valid_until = fields.Date()
    categories = fields.List(fields.String(validate=validate.OneOf(CATEGORIES)),
                             validate=validate.Length(min=1),
                             metadata={"description": "the plan's categories and any added"})
    target_groups = fields.List(fields.String(validate=validate.Length(min=1, max=60)),
                                allow_none=True,
                                metadata={"description": "null or []: every employee"})
    per_employee_budget_cents = Cents(required=False, allow_none=True,
                                      metadata={"description": "null: no budget"})
    leftover_policy = fields.String(validate=validate.OneOf(LEFTOVER_POLICIES))


class GrantRequest(Schema):
    amount_cents = Cents()
    employee_ids = Strings(load_default=None, allow_none=True,
                           validate=validate.Length(min=1))
    all = fields.Boolean(load_default=False)
    source = fields.String(load_default="company",
                           validate=validate.OneOf(["company", "performance_bonus"]))
    # Converting a bonus is the employee's choice (L. 208/2015 art. 1 c. 184): HR converts
    # directly only when the agreement already records each employee's written choice, and
    # says where; otherwise it offers the bonus (POST /companies/{cid}/bonus-offers).
    choice_record = fields.String(load_default=None, allow_none=True,
                                  validate=validate.Length(min=3, max=300), metadata={
        "description": "with source performance_bonus, required: where each employee's "
                       "written choice to convert is recorded (the agreement, the signed "
                       "form)"})

    @validates_schema
    def _who(self, data: dict[str, Any], **kwargs: Any) -> None:
        if bool(data.get("employee_ids")) == bool(data.get("all")):
            raise ValidationError(refusals.EMPLOYEES_OR_ALL.said(), "employee_ids")

    @validates_schema
    def _written_choice(self, data: dict[str, Any], **kwargs: Any) -> None:
        if data.get("source") == "performance_bonus" and not (
                data.get("choice_record") or "").strip():
            raise ValidationError(refusals.BONUS_CHOICE_RECORD_REQUIRED.said(),
                                  "choice_record")

    @validates("employee_ids")
    def _unique(self, value: list[str] | None, **kwargs: Any) -> None:
        if value and len(set(value)) != len(value):
            raise ValidationError(refusals.EMPLOYEE_LISTED_TWICE.said())


def tax_id(value: str) -> None:
    """A provider is named by its partita IVA or its codice fiscale."""
    if not (iva.is_valid(value) or codicefiscale.is_valid(value)):
        raise ValidationError(refusals.NOT_A_TAX_ID.said())


class ReimbursementFields(Schema):
    """A reimbursement request's fields; the amount and the receipt arrive as the
    caller's transport carries them (a form's text and file, or JSON and base64)."""

    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    spent_on = fields.Date(required=True)
    provider_tax_id = Upper(required=True, validate=(validate.Length(min=11, max=16), tax_id),
                            metadata={**PARTITA_IVA, "description": "the provider's partita "
                                      "IVA, or its codice fiscale"})
    beneficiary_fiscal_code = Upper(required=True, validate=validators.fiscal_code,
                                    metadata=CODICE_FISCALE)
    plan_id = fields.String(load_default=None, allow_none=True)


class ReimbursementRequest(ReimbursementFields):
    amount_cents = Cents()
    receipt_content_type = fields.String(required=True,
                                         validate=validate.OneOf(RECEIPT_TYPES))
    receipt_base64 = fields.String(required=True)


class DecisionRequest(Schema):
    approved = fields.Boolean(required=True)
    reason = fields.String(load_default="", validate=validate.Length(max=500), metadata={
        "description": "required when refusing (approved: false)"})

    @validates_schema
    def _reason_for_a_no(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data["approved"] and not data["reason"].strip():
            raise ValidationError(refusals.REASON_REQUIRED.said(), "reason")


# -- what salary-equivalent estimates assume (docs/fiscal-rules.md#estimates) -------------
ESTIMATE_BANDS = ("up_to_28k", "28k_50k", "over_50k")
# a person's gross yearly income, as they state it: up to ten million euro
MAX_INCOME_CENTS = 1_000_000_000


class EstimateSettingsRequest(Schema):
    """A company's figures for its people's estimates; null: the published default."""

    inps_employee_bps = fields.Integer(strict=True, allow_none=True, load_default=None,
                                       validate=validate.Range(min=0, max=2_000), metadata={
        "description": "the employee's contribution rate in basis points (919 = 9.19%)"})
    surcharges_bps = fields.Integer(strict=True, allow_none=True, load_default=None,
                                    validate=validate.Range(min=0, max=500), metadata={
        "description": "regional and municipal surcharges together (203 = 2.03%)"})
    band = fields.String(allow_none=True, load_default=None,
                         validate=validate.OneOf(ESTIMATE_BANDS), metadata={
        "description": "the income band assumed for someone who gave no figure of their own"})


class IncomeEstimateRequest(Schema):
    """An employee's own approximate gross yearly income; null forgets it."""

    income_cents = fields.Integer(strict=True, allow_none=True, required=True,
                                  validate=validate.Range(min=100, max=MAX_INCOME_CENTS))


class WorthRequest(Schema):
    """What an amount of welfare credit is worth to one employee."""

    amount_cents = fields.Integer(strict=True, required=True,
                                  validate=validate.Range(min=0, max=100_000_000_00))
    income_cents = fields.Integer(strict=True, allow_none=True, load_default=None,
                                  validate=validate.Range(min=100, max=MAX_INCOME_CENTS))
    category = fields.String(allow_none=True, load_default=None,
                             validate=validate.OneOf(CATEGORIES))
    fringe_room_cents = fields.Integer(strict=True, allow_none=True, load_default=None)
    year = fields.Integer(strict=True, allow_none=True, load_default=None,
                          validate=validate.Range(min=2000, max=2100))


class BonusOfferRequest(Schema):
    """A performance bonus offered to eligible employees, each choosing before the
    deadline how much of it to take as welfare credit (docs/domain.md#bonus-offers)."""

    plan_id = fields.String(required=True, validate=validate.Length(min=1, max=36),
                            metadata={"description": "the plan the welfare part is credited to"})
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    agreement = fields.String(required=True, validate=validate.Length(min=3, max=300), metadata={
        "description": "the company or territorial agreement the bonus comes from"})
    amount_cents = Cents(metadata={"description": "the bonus, to each employee"})
    deadline = fields.Date(required=True, metadata={
        "description": "the last day to choose (until midnight, Italian time); the bonus is "
                       "paid the day after"})
    employee_ids = Strings(load_default=None, allow_none=True,
                           validate=validate.Length(min=1, max=100_000))
    all = fields.Boolean(load_default=False, metadata={
        "description": "every active employee of the plan's groups within the income "
                       "ceiling"})

    @validates_schema
    def _who(self, data: dict[str, Any], **kwargs: Any) -> None:
        if bool(data.get("employee_ids")) == bool(data.get("all")):
            raise ValidationError(refusals.EMPLOYEES_OR_ALL.said(), "employee_ids")

    @validates("employee_ids")
    def _unique(self, value: list[str] | None, **kwargs: Any) -> None:
        if value and len(set(value)) != len(value):
            raise ValidationError(refusals.EMPLOYEE_LISTED_TWICE.said())


class BonusChoiceRequest(Schema):
    """How much of the bonus to take as welfare credit; the rest is paid in cash."""

    welfare_cents = fields.Integer(strict=True, required=True,
                                   validate=validate.Range(min=0, max=100_000_000_00))
# -- networks of firms (docs/domain.md#networks) -----------------------------------------
NETWORK_KINDS = ("association", "consortium", "network_contract")


def Province(**kwargs: Any) -> fields.String:  # noqa: N802 - reads like a field class
    """A two-letter province code (sigla), upper-cased."""
    return Upper(validate=validate.Regexp(r"^[A-Z]{2}$", error=refusals.NOT_A_PROVINCE.said()),
                 metadata={"description": "two-letter province code (sigla), e.g. CN"},
                 **kwargs)


class Municipality(fields.String):
    """A municipality's name (comune), its spaces tidied; compared without regard to
    case (`wecare_common.contract.benefits.same_place`)."""

    def _deserialize(self, value: Any, attr: Any, data: Any, **kwargs: Any) -> str:
        return " ".join(super()._deserialize(value, attr, data, **kwargs).split())


def same_place(a: str | None, b: str | None) -> bool:
    """Two municipality names name the same place (case and spaces aside)."""
    if not a or not b:
        return False
    return " ".join(a.split()).casefold() == " ".join(b.split()).casefold()


class Territory(Schema):
    """Where a network works: provinces, municipalities, or both (at least one)."""

    provinces = fields.List(Province(), load_default=list, validate=validate.Length(max=120))
    municipalities = fields.List(Municipality(validate=validate.Length(min=1, max=100)),
                                 load_default=list, validate=validate.Length(max=500))

    @validates_schema
    def _somewhere(self, data: dict[str, Any], **kwargs: Any) -> None:
        if not data["provinces"] and not data["municipalities"]:
            raise ValidationError(refusals.TERRITORY_NEEDED.said(), "provinces")


class NetworkRequest(Schema):
    """An association, a consortium or a network contract, with its tax code (the
    association's codice fiscale) or VAT number, and its territory."""

    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    kind = fields.String(required=True, validate=validate.OneOf(NETWORK_KINDS))
    tax_id = Upper(required=True, validate=(validate.Length(min=11, max=16), tax_id),
                   metadata={**PARTITA_IVA, "description": "the network's codice fiscale "
                             "(11 digits, or 16 characters) or partita IVA"})
    territory = fields.Nested(Territory, required=True)


class MemberSeat(Schema):
    """Where a member firm has its seat: the municipality the funders' report counts
    it in, and its province."""

    municipality = Municipality(required=True, validate=validate.Length(min=1, max=100))
    province = Province(required=True)


class MemberInvitation(MemberSeat):
    """A network invites a firm already in WeCare, named by its VAT number."""

    vat_number = Upper(required=True, validate=validators.vat_number, metadata=PARTITA_IVA)


class MemberOnboarding(CompanyRequest, MemberSeat):
    """A network brings a new firm into WeCare: the company, its HR manager (invited
    by email) and the network's invitation, for the HR manager to accept."""


class InvitationAnswer(Schema):
    accept = fields.Boolean(required=True, metadata={
        "description": "true: join the network; false: decline its invitation"})


class SharedPlanRequest(PlanRequest):
    """A plan template made by a network: the plan's own fields, and the amount each
    member is to grant each employee. Each member adopts it as a plan of its own."""

    class Meta:
        exclude = ("target_groups", "per_employee_budget_cents")

    description = fields.String(load_default="", validate=validate.Length(max=2000))
    amount_per_employee_cents = Cents(metadata={
        "description": "what each member grants each employee: the adopted plan's "
                       "per-employee budget"})


class NetworkYear(Schema):
    year = fields.Integer(load_default=None, validate=validate.Range(min=2000, max=2100),
                          metadata={"description": "this year when omitted"})


class UsedInCategory(Schema):
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    amount_cents = fields.Integer(strict=True, required=True, validate=validate.Range(min=0))


class WorthSummaryRequest(Schema):
    """An employee's year, as the wallet saw it, to be said in salary terms."""

    year = fields.Integer(strict=True, required=True, validate=validate.Range(min=2000, max=2100))
    income_cents = fields.Integer(strict=True, allow_none=True, load_default=None,
                                  validate=validate.Range(min=100, max=MAX_INCOME_CENTS))
    received_cents = fields.Integer(strict=True, required=True, validate=validate.Range(min=0))
    used = fields.List(fields.Nested(UsedInCategory), load_default=list)
