"""The catalog's entrypoints: thin, each validates then calls the domain."""

from __future__ import annotations

from typing import Any

# a module, not the class: `nameko run` would take every class it finds here
from wecare_common import health
from wecare_common.db import Database
from wecare_common.memory import SettledMemory
from wecare_common.rpc import rpc
from wecare_common.schemas import load

from catalog import domain, search
from catalog.models import Base
from catalog.schemas import (
    Approval,
    CircuitRequest,
    OfferingRequest,
    OfferingUpdate,
    ProposalRequest,
    ProviderApplication,
    ProvidersRequest,
    SearchRequest,
)


class CatalogService(health.HealthEntrypoints):
    name = "catalog"
    memory = SettledMemory()  # startup's objects out of the collector's walks

    db = Database("catalog", Base.metadata)

    @rpc
    def register_provider(self, idempotency_key: str | None = None, **data: Any
                          ) -> dict[str, Any]:
        result = domain.register_provider(self.db, load(ProviderApplication, data),
                                          idempotency_key=idempotency_key)
        self.db.commit()
        return result

    @rpc
    def get_provider(self, provider_id: str) -> dict[str, Any]:
        return domain.provider_view(domain.get_provider(self.db, provider_id))

    @rpc
    def decide(self, provider_id: str, **data: Any) -> dict[str, Any]:
        result = domain.decide(self.db, provider_id, load(Approval, data))
        self.db.commit()
        return result

    @rpc
    def publish_offering(self, provider_id: str, **data: Any) -> dict[str, Any]:
        result = domain.publish_offering(self.db, provider_id, load(OfferingRequest, data))
        self.db.commit()
        return result

    @rpc
    def update_offering(self, provider_id: str, offering_id: str, **changes: Any
                        ) -> dict[str, Any]:
        result = domain.update_offering(self.db, provider_id, offering_id,
                                        load(OfferingUpdate, changes))
        self.db.commit()
        return result

    @rpc
    def withdraw_offering(self, provider_id: str, offering_id: str) -> dict[str, Any]:
        result = domain.withdraw_offering(self.db, provider_id, offering_id)
        self.db.commit()
        return result

    @rpc
    def offering_detail(self, offering_id: str) -> dict[str, Any]:
        return domain.offering_detail(self.db, offering_id)

    @rpc
    def offerings_of(self, provider_id: str) -> dict[str, Any]:
        return domain.offerings_of(self.db, provider_id)

    @rpc
    def search(self, **params: Any) -> dict[str, Any]:
        return search.search(self.db, **load(SearchRequest, params))

    @rpc
    def circuit(self, **params: Any) -> dict[str, Any]:
        return domain.circuit(self.db, **load(CircuitRequest, params))

    @rpc
    def list_providers(self, **params: Any) -> dict[str, Any]:
        return domain.providers(self.db, **load(ProvidersRequest, params))

    @rpc
    def propose_provider(self, employee_id: str, company_id: str | None, **data: Any
                         ) -> dict[str, Any]:
        result = domain.propose(self.db, employee_id, company_id, load(ProposalRequest, data))
        self.db.commit()
        return result

    @rpc
    def proposals_of(self, employee_id: str) -> dict[str, Any]:
        return domain.proposals_of(self.db, employee_id)
