"""What the benefits service accepts: the contract's schemas (wecare_common.contract),
named here as the service has always named them."""

from __future__ import annotations

from wecare_common.contract.benefits import (
    INCOME_BANDS,
    MAX_RECEIPT_BYTES,
    RECEIPT_TYPES,
    BonusChoiceRequest,
    BonusOfferRequest,
    CompanyRequest,
    DecisionRequest,
    DepartureRequest,
    EmployeeQuery,
    EmployeeRequest,
    EstimateSettingsRequest,
    GrantRequest,
    HrManager,
    InvitationAnswer,
    MemberInvitation,
    MemberOnboarding,
    Name,
    NetworkRequest,
    PlanChange,
    PlanRequest,
    ReimbursementRequest,
    SharedPlanRequest,
    WorthRequest,
    WorthSummaryRequest,
)

__all__ = ["INCOME_BANDS", "MAX_RECEIPT_BYTES", "RECEIPT_TYPES", "BonusChoiceRequest",
           "BonusOfferRequest", "CompanyRequest",
           "DecisionRequest", "DepartureRequest", "EmployeeQuery", "EmployeeRequest",
           "EstimateSettingsRequest", "GrantRequest", "HrManager", "InvitationAnswer",
           "MemberInvitation", "MemberOnboarding", "Name", "NetworkRequest", "PlanChange",
           "PlanRequest", "ReimbursementRequest", "SharedPlanRequest", "WorthRequest",
           "WorthSummaryRequest"]
