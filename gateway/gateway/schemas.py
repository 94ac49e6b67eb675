"""What the gateway's routes accept beyond the contract (docs/api.md): what is HTTP's
own (a password, a form's text fields, a comma-separated list, a query's defaults).
Everything else a route names, it imports from the contract (wecare_common.contract:
the requests by service, `responses` for what leaves); nothing is named here again.
The same schemas validate requests and generate /api/v1/openapi.json."""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from wecare_common.categories import CATEGORIES
from wecare_common.contract import (
    benefits,
    catalog,
    notifications,
    passwords,
    refusals,
    wallet,
)
from wecare_common.contract.benefits import Name
from wecare_common.schemas import MAX_AMOUNT_CENTS, PageSchema

# the language of the email a request sends (an invitation, a reset link): rooms.base's
# request_language reads it
EMAIL_LANGUAGE = notifications.language(load_default=None, metadata={
    "description": "the email's language (`it` or `en`); omitted, the request's "
                   "Accept-Language's best match, else Italian"})

Password = passwords.password(required=True)


class TokenIn(Schema):
    email = fields.Email(required=True)
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(min=1, max=200))


class InvitationIn(Schema):
    email = fields.Email(required=True)
    first_name = Name
    last_name = Name
    language = EMAIL_LANGUAGE


class AccountsQuery(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254),
                          metadata={"description": "part of the email address, any case"})


class AccessIn(Schema):
    enabled = fields.Boolean(required=True, metadata={
        "description": "false: the account can do nothing, its sessions end at once; "
                       "true: it may sign in again"})


class ResetIn(Schema):
    email = fields.Email(required=True)
    language = EMAIL_LANGUAGE


class NewPasswordIn(Schema):
    token = fields.String(required=True, load_only=True, validate=validate.Length(min=20,
                                                                                    max=200))
    password = Password


class RefreshIn(Schema):
    refresh_token = fields.String(required=True, load_only=True,
                                  validate=validate.Length(min=20, max=200))


# -- requests: the contract's schemas (wecare_common.contract), plus what is HTTP's own -----
class HrManagerIn(benefits.HrManager):
    password = Password


class CompanyIn(benefits.CompanyRequest):
    hr_manager = fields.Nested(HrManagerIn, required=True)


class EmployeeIn(benefits.EmployeeRequest):
    password = fields.String(load_only=True, load_default=None, allow_none=True,
                             validate=validate.Length(min=10, max=200))


class EmployeeQuery(benefits.EmployeeFilters):
    """The service's query, with `ids` as a query string carries a list."""

    ids = fields.String(load_default=None, validate=validate.Regexp(
        r"^[0-9A-Za-z-]{1,36}(,[0-9A-Za-z-]{1,36}){0,199}$", error=refusals.NOT_AN_ID_LIST.message),
        metadata={"description": "only these employees (comma-separated ids)"})


class ReimbursementForm(benefits.ReimbursementFields):
    """The form fields; the receipt is the file part `receipt` (PDF, JPEG or PNG)."""

    # form fields arrive as text: "12000" is a whole number of cents, "120.5" is not
    amount_cents = fields.Integer(required=True,
                                  validate=validate.Range(min=1, max=MAX_AMOUNT_CENTS))
    receipt = fields.Raw(metadata={"type": "string", "format": "binary"}, load_default=None)


class ProviderIn(catalog.ProviderApplication):
    password = Password


class ConfirmationIn(Schema):
    """An emailed link's token that confirms a provider's application."""

    token = fields.String(required=True, load_only=True, validate=validate.Length(min=20,
                                                                                    max=200))


class TopupsQuery(wallet.TopupQuery):
    """An operator's list opens on the bank transfers to confirm."""

    method = fields.String(load_default="bank_transfer", allow_none=True,
                           validate=validate.OneOf(wallet.TOPUP_METHODS))


class ImportQuery(Schema):
    dry_run = fields.Boolean(load_default=False, metadata={
        "description": "check every row and write nothing: the rows that would import "
                       "and every bad row with its reasons (200)"})


class DashboardQuery(Schema):
    year = fields.Integer(load_default=None, validate=validate.Range(min=2000, max=2100),
                          metadata={"description": "this year when omitted"})


class ReimbursementQuery(PageSchema):
    status = fields.String(load_default=None,
                           validate=validate.OneOf(["requested", "approved", "rejected"]))


class ReportQuery(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))


class FiscalRulesQuery(Schema):
    year = fields.Integer(load_default=None, validate=validate.Range(min=2000, max=2100),
                          metadata={"description": "the fiscal year; this year when omitted"})


class DeadLettersQuery(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


# -- what welfare is worth ---------------------------------------------------------------


class WorthQuery(Schema):
    amount_cents = fields.Integer(load_default=None, allow_none=True,
                                  validate=validate.Range(min=0, max=100_000_000_00), metadata={
        "description": "the amount of credit; without it, all the credit you have now"})
    category = fields.String(load_default=None, allow_none=True,
                             validate=validate.OneOf(CATEGORIES), metadata={
        "description": "how the law treats spending it in this category"})
    year = fields.Integer(load_default=None, allow_none=True,
                          validate=validate.Range(min=2000, max=2100))


class BonusOfferQuery(Schema):
    welfare_cents = fields.Integer(load_default=None, allow_none=True,
                                   validate=validate.Range(min=0, max=100_000_000_00), metadata={
        "description": "compare at this welfare part (your choice when omitted)"})

# -- networks of firms (docs/domain.md#networks) -------------------------------------------
class NetworkStaffIn(benefits.HrManager):
    """A network's first staff member: without a password, invited by email."""

    password = fields.String(load_only=True, load_default=None, allow_none=True,
                             validate=validate.Length(min=10, max=200))


class NetworkIn(benefits.NetworkRequest):
    staff = fields.Nested(NetworkStaffIn, required=True)


class MembersQuery(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(
        ["invited", "active", "declined", "withdrawn", "left"]))


class NetworkReportQuery(Schema):
    year = fields.Integer(required=True, validate=validate.Range(min=2000, max=2100))
    format = fields.String(load_default="json", validate=validate.OneOf(["json", "csv"]))

class WorthSummaryQuery(Schema):
    year = fields.Integer(load_default=None, allow_none=True,
                          validate=validate.Range(min=2000, max=2100),
                          metadata={"description": "the fiscal year; this year when omitted"})
