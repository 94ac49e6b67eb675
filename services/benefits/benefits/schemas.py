"""What the benefits service accepts and returns."""

from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates, validates_schema
from stdnum.it import codicefiscale, iva
from wecare_common.categories import CATEGORIES
from wecare_common.schemas import Cents
from wecare_common.validators import Upper
from wecare_common.validators import fiscal_code as _fiscal_code
from wecare_common.validators import vat_number as _vat_number

Name = fields.String(required=True, validate=validate.Length(min=1, max=100))
# Previous-year employment income, for performance-bonus conversion (L. 208/2015).
INCOME_BANDS = ("up_to_80k", "over_80k")
RECEIPT_TYPES = ("application/pdf", "image/jpeg", "image/png")
MAX_RECEIPT_BYTES = 5 * 1024 * 1024


class HrManager(Schema):
    email = fields.Email(required=True)
    first_name = Name
    last_name = Name


class CompanyRequest(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    vat_number = Upper(required=True, validate=_vat_number)
    hr_manager = fields.Nested(HrManager, required=True)


class EmployeeRequest(Schema):
    email = fields.Email(required=True)
    first_name = Name
    last_name = Name
    fiscal_code = Upper(required=True, validate=_fiscal_code)
    dependent_children = fields.List(Upper(validate=_fiscal_code), load_default=list)
    language = fields.String(load_default="it", validate=validate.OneOf(["it", "en"]))
    group = fields.String(load_default=None, allow_none=True,
                          validate=validate.Length(min=1, max=60))
    hire_date = fields.Date(load_default=None, allow_none=True)
    income_band = fields.String(load_default=None, allow_none=True,
                                validate=validate.OneOf(INCOME_BANDS))


class EmployeeQuery(Schema):
    """The HR table: search, sort, filter; a page (sorted) or a cursor (as added)."""

    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None, allow_none=True,
                           validate=validate.Regexp(r"^[0-9]{1,18}$", error="not a cursor"))
    q = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=100))
    sort = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(
        ["name", "email", "fiscal_code", "group", "hire_date", "status", "added"]))
    order = fields.String(load_default="asc", validate=validate.OneOf(["asc", "desc"]))
    page = fields.Integer(load_default=None, allow_none=True,
                          validate=validate.Range(min=1, max=100_000))
    status = fields.String(load_default=None, allow_none=True,
                           validate=validate.OneOf(["active", "left"]))
    group = fields.String(load_default=None, allow_none=True,
                          validate=validate.Length(min=1, max=60))
    ids = fields.List(fields.String(validate=validate.Length(max=36)), load_default=None,
                      allow_none=True, validate=validate.Length(max=200))


class PlanRequest(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    fiscal_year = fields.Integer(required=True, strict=True,
                                 validate=validate.Range(min=2000, max=2100))
    valid_from = fields.Date(required=True)
    valid_until = fields.Date(required=True)
    categories = fields.List(fields.String(validate=validate.OneOf(CATEGORIES)),
                             required=True, validate=validate.Length(min=1))
    leftover_policy = fields.String(required=True,
                                    validate=validate.OneOf(["return_to_fund", "roll_over"]))
    target_groups = fields.List(fields.String(validate=validate.Length(min=1, max=60)),
                                load_default=None, allow_none=True)
    per_employee_budget_cents = Cents(required=False, load_default=None, allow_none=True)

    @validates_schema
    def _dates_in_order(self, data, **kwargs):  # type: ignore[no-untyped-def]
        if data["valid_until"] < data["valid_from"]:
            raise ValidationError("must not be before valid_from", "valid_until")


class PlanChange(Schema):
    """What may change in a plan (benefits.plans says when): each field optional."""

    name = fields.String(validate=validate.Length(min=1, max=200))
    valid_until = fields.Date()
    categories = fields.List(fields.String(validate=validate.OneOf(CATEGORIES)),
                             validate=validate.Length(min=1))
    target_groups = fields.List(fields.String(validate=validate.Length(min=1, max=60)),
                                allow_none=True)
    per_employee_budget_cents = Cents(required=False, allow_none=True)
    leftover_policy = fields.String(validate=validate.OneOf(["return_to_fund", "roll_over"]))


class GrantRequest(Schema):
    amount_cents = Cents()
    employee_ids = fields.List(fields.String(), load_default=None, allow_none=True,
                               validate=validate.Length(min=1))
    all = fields.Boolean(load_default=False)
    source = fields.String(load_default="company",
                           validate=validate.OneOf(["company", "performance_bonus"]))

    @validates_schema
    def _who(self, data, **kwargs):  # type: ignore[no-untyped-def]
        if bool(data.get("employee_ids")) == bool(data.get("all")):
            raise ValidationError("give either employee_ids or all: true", "employee_ids")

    @validates("employee_ids")
    def _unique(self, value, **kwargs):  # type: ignore[no-untyped-def]
        if value and len(set(value)) != len(value):
            raise ValidationError("an employee is listed twice")


def _tax_id(value: str) -> None:
    """A provider is named by its partita IVA or its codice fiscale."""
    if not (iva.is_valid(value) or codicefiscale.is_valid(value)):
        raise ValidationError("not a valid partita IVA or codice fiscale")


class ReimbursementRequest(Schema):
    amount_cents = Cents()
    category = fields.String(required=True, validate=validate.OneOf(CATEGORIES))
    spent_on = fields.Date(required=True)
    provider_tax_id = Upper(required=True, validate=_tax_id)
    beneficiary_fiscal_code = Upper(required=True, validate=_fiscal_code)
    plan_id = fields.String(load_default=None, allow_none=True)
    receipt_content_type = fields.String(required=True,
                                         validate=validate.OneOf(RECEIPT_TYPES))
    receipt_base64 = fields.String(required=True)


class DecisionRequest(Schema):
    approved = fields.Boolean(required=True)
    reason = fields.String(load_default="", validate=validate.Length(max=500))

    @validates_schema
    def _reason_for_a_no(self, data, **kwargs):  # type: ignore[no-untyped-def]
        if not data["approved"] and not data["reason"].strip():
            raise ValidationError("say why when rejecting", "reason")


class DepartureRequest(Schema):
    left_on = fields.Date(required=True)
