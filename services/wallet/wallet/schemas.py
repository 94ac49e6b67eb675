"""What the wallet's RPC entrypoints accept: the contract's schemas
(wecare_common.contract.wallet); the events it keeps copies from are checked
against their payload types (wecare_common.contract.events)."""

from __future__ import annotations

from wecare_common.contract.wallet import (
    CompanyTopupQuery,
    GrantRequest,
    HoldRequest,
    IdempotencyKey,
    NetworkFiguresRequest,
    OfflineLimitsRequest,
    OfflineRedemptionsRequest,
    PlanCopy,
    PurchaseRequest,
    RedemptionRequest,
    RunsQuery,
    StatementQuery,
    TopupQuery,
    TopupRequest,
)

__all__ = ["CompanyTopupQuery", "GrantRequest", "HoldRequest", "IdempotencyKey",
           "NetworkFiguresRequest", "OfflineLimitsRequest",
           "OfflineRedemptionsRequest", "PlanCopy",
           "PurchaseRequest", "RedemptionRequest", "RunsQuery", "StatementQuery",
           "TopupQuery", "TopupRequest"]
