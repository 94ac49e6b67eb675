"""The public contract (docs/api.md): what each path accepts and returns.
The same schemas validate requests and generate /api/v1/openapi.json."""

from __future__ import annotations

from marshmallow import Schema, fields, validate
from wecare_common.categories import CATEGORIES
from wecare_common.contract import benefits, catalog, notifications, refusals, wallet
from wecare_common.contract.benefits import Name
from wecare_common.contract.responses import (
    AccountOut as AccountOut,
)
from wecare_common.contract.responses import (
    AccountPage as AccountPage,
)

# the response schemas live in the contract; named here too, as the routes import them
from wecare_common.contract.responses import (
    AgreementOut as AgreementOut,
)
from wecare_common.contract.responses import (
    AgreementPage as AgreementPage,
)
from wecare_common.contract.responses import (
    AuditOut as AuditOut,
)
from wecare_common.contract.responses import (
    BonusOfferDetail as BonusOfferDetail,
)
from wecare_common.contract.responses import (
    BonusOfferOut as BonusOfferOut,
)
from wecare_common.contract.responses import (
    BonusOfferPage as BonusOfferPage,
)
from wecare_common.contract.responses import (
    CategoryRuleOut as CategoryRuleOut,
)
from wecare_common.contract.responses import (
    CircuitPage as CircuitPage,
)
from wecare_common.contract.responses import (
    CircuitProvider as CircuitProvider,
)
from wecare_common.contract.responses import (
    CompanyMembershipOut as CompanyMembershipOut,
)
from wecare_common.contract.responses import (
    CompanyNetworkOut as CompanyNetworkOut,
)
from wecare_common.contract.responses import (
    CompanyOut as CompanyOut,
)
from wecare_common.contract.responses import (
    CompanySharedPlanPage as CompanySharedPlanPage,
)
from wecare_common.contract.responses import (
    CompanyTopupOut as CompanyTopupOut,
)
from wecare_common.contract.responses import (
    CompanyTopupPage as CompanyTopupPage,
)
from wecare_common.contract.responses import (
    CumulativeVoucherOut as CumulativeVoucherOut,
)
from wecare_common.contract.responses import (
    DashboardCategory as DashboardCategory,
)
from wecare_common.contract.responses import (
    DashboardMonth as DashboardMonth,
)
from wecare_common.contract.responses import (
    DashboardOut as DashboardOut,
)
from wecare_common.contract.responses import (
    DashboardPlan as DashboardPlan,
)
from wecare_common.contract.responses import (
    DeadLetterOut as DeadLetterOut,
)
from wecare_common.contract.responses import (
    DeadLettersOut as DeadLettersOut,
)
from wecare_common.contract.responses import (
    EmployeeOut as EmployeeOut,
)
from wecare_common.contract.responses import (
    EmployeePage as EmployeePage,
)
from wecare_common.contract.responses import (
    EmployeeRow as EmployeeRow,
)
from wecare_common.contract.responses import (
    EmployeeTable as EmployeeTable,
)
from wecare_common.contract.responses import (
    ErrorDetail as ErrorDetail,
)
from wecare_common.contract.responses import (
    ErrorOut as ErrorOut,
)
from wecare_common.contract.responses import (
    EstimateOut as EstimateOut,
)
from wecare_common.contract.responses import (
    EstimateSettingsOut as EstimateSettingsOut,
)
from wecare_common.contract.responses import (
    FailedEmail as FailedEmail,
)
from wecare_common.contract.responses import (
    FailedEmails as FailedEmails,
)
from wecare_common.contract.responses import (
    FiscalRulesOut as FiscalRulesOut,
)
from wecare_common.contract.responses import (
    FringeOut as FringeOut,
)
from wecare_common.contract.responses import (
    FringeRulesOut as FringeRulesOut,
)
from wecare_common.contract.responses import (
    FundingOptionsOut as FundingOptionsOut,
)
from wecare_common.contract.responses import (
    GrantCheckOut as GrantCheckOut,
)
from wecare_common.contract.responses import (
    GrantOut as GrantOut,
)
from wecare_common.contract.responses import (
    GrantProblem as GrantProblem,
)
from wecare_common.contract.responses import (
    HealthOut as HealthOut,
)
from wecare_common.contract.responses import (
    ImportOut as ImportOut,
)
from wecare_common.contract.responses import (
    ImportPreviewOut as ImportPreviewOut,
)
from wecare_common.contract.responses import (
    ImportRow as ImportRow,
)
from wecare_common.contract.responses import (
    IncomeEstimateOut as IncomeEstimateOut,
)
from wecare_common.contract.responses import (
    InvitationOut as InvitationOut,
)
from wecare_common.contract.responses import (
    InvitationResentOut as InvitationResentOut,
)
from wecare_common.contract.responses import (
    MemberOut as MemberOut,
)
from wecare_common.contract.responses import (
    MemberPage as MemberPage,
)
from wecare_common.contract.responses import (
    MeOut as MeOut,
)
from wecare_common.contract.responses import (
    MyBonusOfferOut as MyBonusOfferOut,
)
from wecare_common.contract.responses import (
    MyBonusOfferPage as MyBonusOfferPage,
)
from wecare_common.contract.responses import (
    NetworkCircuitOut as NetworkCircuitOut,
)
from wecare_common.contract.responses import (
    NetworkDashboardOut as NetworkDashboardOut,
)
from wecare_common.contract.responses import (
    NetworkOut as NetworkOut,
)
from wecare_common.contract.responses import (
    NetworkPage as NetworkPage,
)
from wecare_common.contract.responses import (
    NetworkReportOut as NetworkReportOut,
)
from wecare_common.contract.responses import (
    NetworkSharedPlanOut as NetworkSharedPlanOut,
)
from wecare_common.contract.responses import (
    NetworkSharedPlanPage as NetworkSharedPlanPage,
)
from wecare_common.contract.responses import (
    NotificationOut as NotificationOut,
)
from wecare_common.contract.responses import (
    NotificationPage as NotificationPage,
)
from wecare_common.contract.responses import (
    OfferingDetail as OfferingDetail,
)
from wecare_common.contract.responses import (
    OfferingHit as OfferingHit,
)
from wecare_common.contract.responses import (
    OfferingList as OfferingList,
)
from wecare_common.contract.responses import (
    OfferingOut as OfferingOut,
)
from wecare_common.contract.responses import (
    OfferingPage as OfferingPage,
)
from wecare_common.contract.responses import (
    OfflineDuplicatesOut as OfflineDuplicatesOut,
)
from wecare_common.contract.responses import (
    OfflineLimitsOut as OfflineLimitsOut,
)
from wecare_common.contract.responses import (
    OfflineRedemptionsOut as OfflineRedemptionsOut,
)
from wecare_common.contract.responses import (
    Out as Out,
)
from wecare_common.contract.responses import (
    PayeeOut as PayeeOut,
)
from wecare_common.contract.responses import (
    PayoutOut as PayoutOut,
)
from wecare_common.contract.responses import (
    PerformanceBonusOut as PerformanceBonusOut,
)
from wecare_common.contract.responses import (
    PersonOut as PersonOut,
)
from wecare_common.contract.responses import (
    PlanBalance as PlanBalance,
)
from wecare_common.contract.responses import (
    PlanItem as PlanItem,
)
from wecare_common.contract.responses import (
    PlanOut as PlanOut,
)
from wecare_common.contract.responses import (
    PlanPage as PlanPage,
)
from wecare_common.contract.responses import (
    PreferencesOut as PreferencesOut,
)
from wecare_common.contract.responses import (
    ProposalOut as ProposalOut,
)
from wecare_common.contract.responses import (
    ProposalPage as ProposalPage,
)
from wecare_common.contract.responses import (
    ProviderAdminOut as ProviderAdminOut,
)
from wecare_common.contract.responses import (
    ProviderOut as ProviderOut,
)
from wecare_common.contract.responses import (
    ProviderPage as ProviderPage,
)
from wecare_common.contract.responses import (
    RedeemedSince as RedeemedSince,
)
from wecare_common.contract.responses import (
    RedemptionOut as RedemptionOut,
)
from wecare_common.contract.responses import (
    ReimbursementOut as ReimbursementOut,
)
from wecare_common.contract.responses import (
    ReimbursementPage as ReimbursementPage,
)
from wecare_common.contract.responses import (
    ReplayedOut as ReplayedOut,
)
from wecare_common.contract.responses import (
    ReportOut as ReportOut,
)
from wecare_common.contract.responses import (
    ReportRow as ReportRow,
)
from wecare_common.contract.responses import (
    RetriedOut as RetriedOut,
)
from wecare_common.contract.responses import (
    RunPayoutOut as RunPayoutOut,
)
from wecare_common.contract.responses import (
    SettlementLineOut as SettlementLineOut,
)
from wecare_common.contract.responses import (
    SettlementPreviewOut as SettlementPreviewOut,
)
from wecare_common.contract.responses import (
    SettlementRunDetail as SettlementRunDetail,
)
from wecare_common.contract.responses import (
    SettlementRunListed as SettlementRunListed,
)
from wecare_common.contract.responses import (
    SettlementRunOut as SettlementRunOut,
)
from wecare_common.contract.responses import (
    SettlementRunPage as SettlementRunPage,
)
from wecare_common.contract.responses import (
    SettlementsOut as SettlementsOut,
)
from wecare_common.contract.responses import (
    StatementLine as StatementLine,
)
from wecare_common.contract.responses import (
    StatementOut as StatementOut,
)
from wecare_common.contract.responses import (
    TerritoryProviderOut as TerritoryProviderOut,
)
from wecare_common.contract.responses import (
    TerritoryProviderPage as TerritoryProviderPage,
)
from wecare_common.contract.responses import (
    TokenOut as TokenOut,
)
from wecare_common.contract.responses import (
    TopupListedOut as TopupListedOut,
)
from wecare_common.contract.responses import (
    TopupOut as TopupOut,
)
from wecare_common.contract.responses import (
    TopupPage as TopupPage,
)
from wecare_common.contract.responses import (
    TreatmentOut as TreatmentOut,
)
from wecare_common.contract.responses import (
    VoucherKeysOut as VoucherKeysOut,
)
from wecare_common.contract.responses import (
    VoucherOut as VoucherOut,
)
from wecare_common.contract.responses import (
    VoucherPage as VoucherPage,
)
from wecare_common.contract.responses import (
    WalletOut as WalletOut,
)
from wecare_common.contract.responses import (
    WebhookOut as WebhookOut,
)
from wecare_common.contract.responses import (
    WorthOut as WorthOut,
)
from wecare_common.contract.responses import (
    WorthSummaryOut as WorthSummaryOut,
)
from wecare_common.schemas import MAX_AMOUNT_CENTS, PageSchema

Password = fields.String(required=True, load_only=True, validate=validate.Length(
    min=10, max=200, error=refusals.PASSWORD_LENGTH.said(min=10, max=200)))


class TokenIn(Schema):
    email = fields.Email(required=True)
    password = fields.String(required=True, load_only=True,
                             validate=validate.Length(min=1, max=200))


class InvitationIn(Schema):
    email = fields.Email(required=True)
    first_name = Name
    last_name = Name


class AccountsQuery(Schema):
    email = fields.String(required=True, validate=validate.Length(min=1, max=254),
                          metadata={"description": "part of the email address, any case"})


class AccessIn(Schema):
    enabled = fields.Boolean(required=True, metadata={
        "description": "false: the account can do nothing, its sessions end at once; "
                       "true: it may sign in again"})


class ResetIn(Schema):
    email = fields.Email(required=True)


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


EmployeeDeparture = benefits.DepartureRequest


class EmployeeQuery(benefits.EmployeeFilters):
    """The service's query, with `ids` as a query string carries a list."""

    ids = fields.String(load_default=None, validate=validate.Regexp(
        r"^[0-9A-Za-z-]{1,36}(,[0-9A-Za-z-]{1,36}){0,199}$", error=refusals.NOT_AN_ID_LIST.message),
        metadata={"description": "only these employees (comma-separated ids)"})


PlanIn = benefits.PlanRequest


PlanChangeIn = benefits.PlanChange


GrantIn = benefits.GrantRequest


DecisionIn = benefits.DecisionRequest


RECEIPT_TYPES = benefits.RECEIPT_TYPES  # a receipt's file part: these types, this size at most


MAX_RECEIPT_BYTES = benefits.MAX_RECEIPT_BYTES


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


ApprovalIn = catalog.Approval


OfferingIn = catalog.OfferingRequest


OfferingPatch = catalog.OfferingUpdate


OfferingSearch = catalog.SearchRequest


CircuitQuery = catalog.CircuitRequest


ProposalIn = catalog.ProposalRequest


ProvidersQuery = catalog.ProvidersRequest


DELIVERY = catalog.DELIVERY


TopupIn = wallet.TopupFields


VoucherIn = wallet.PurchaseFields


RedemptionIn = wallet.RedemptionFields
OfflineLimitsIn = wallet.OfflineLimitsFields
OfflineRedemptionsIn = wallet.OfflineRedemptionsFields


SettlementsQuery = wallet.StatementQuery


CompanyTopupsQuery = wallet.CompanyTopupQuery


RunsQueryIn = wallet.RunsQuery


class TopupsQuery(wallet.TopupQuery):
    """An operator's list opens on the bank transfers to confirm."""

    method = fields.String(load_default="bank_transfer", allow_none=True,
                           validate=validate.OneOf(wallet.TOPUP_METHODS))


PreferencesIn = notifications.PreferencesRequest


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


Page = PageSchema


class DeadLettersQuery(Schema):
    limit = fields.Integer(load_default=100, validate=validate.Range(min=1, max=500))


# -- what welfare is worth ---------------------------------------------------------------
EstimateSettingsIn = benefits.EstimateSettingsRequest
IncomeEstimateIn = benefits.IncomeEstimateRequest


class WorthQuery(Schema):
    amount_cents = fields.Integer(load_default=None, allow_none=True,
                                  validate=validate.Range(min=0, max=100_000_000_00), metadata={
        "description": "the amount of credit; without it, all the credit you have now"})
    category = fields.String(load_default=None, allow_none=True,
                             validate=validate.OneOf(CATEGORIES), metadata={
        "description": "how the law treats spending it in this category"})
    year = fields.Integer(load_default=None, allow_none=True,
                          validate=validate.Range(min=2000, max=2100))

BonusOfferIn = benefits.BonusOfferRequest
BonusChoiceIn = benefits.BonusChoiceRequest


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


MemberInvitationIn = benefits.MemberInvitation
MemberOnboardingIn = benefits.MemberOnboarding
InvitationAnswerIn = benefits.InvitationAnswer
SharedPlanIn = benefits.SharedPlanRequest
NetworkYearQuery = benefits.NetworkYear
NetworkProviderIn = catalog.NetworkProviderDecision
NetworkProvidersQuery = catalog.NetworkProvidersRequest
AgreementIn = catalog.AgreementRequest
AgreementAnswerIn = catalog.AgreementAnswer


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
