"""What the catalog accepts: the contract's schemas (wecare_common.contract)."""

from __future__ import annotations

from wecare_common.contract.catalog import (
    DELIVERY,
    AgreementAnswer,
    AgreementRequest,
    Approval,
    CircuitRequest,
    NetworkCircuitRequest,
    NetworkProviderDecision,
    NetworkProvidersRequest,
    OfferingRequest,
    OfferingUpdate,
    ProposalRequest,
    ProviderApplication,
    ProvidersRequest,
    SearchRequest,
)

__all__ = ["DELIVERY", "AgreementAnswer", "AgreementRequest", "Approval", "CircuitRequest",
           "NetworkCircuitRequest", "NetworkProviderDecision", "NetworkProvidersRequest",
           "OfferingRequest", "OfferingUpdate", "ProposalRequest", "ProviderApplication",
           "ProvidersRequest", "SearchRequest"]
