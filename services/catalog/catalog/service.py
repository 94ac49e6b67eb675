"""The catalog's entrypoints: thin, each validates then calls the domain."""

from __future__ import annotations

from typing import Any

# a module, not the class: `nameko run` would take every class it finds here
from wecare_common import health
from wecare_common.consumer import handle_event
from wecare_common.contract import events
from wecare_common.contract.benefits import Territory
from wecare_common.db import Database
from wecare_common.inbox import first_delivery
from wecare_common.memory import SettledMemory
from wecare_common.rpc import rpc
from wecare_common.schemas import load

from catalog import domain, networks, search
from catalog.models import Base, inbox
from catalog.schemas import (
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
    def offering_detail(self, offering_id: str, company_id: str | None = None
                        ) -> dict[str, Any]:
        """`company_id`: an employee's company, whose network's offer is marked."""
        detail = domain.offering_detail(self.db, offering_id)
        offers = networks.network_offers(self.db, company_id, [offering_id])
        return {**detail, "network_offer": offers.get(offering_id)}

    @rpc
    def offerings_of(self, provider_id: str) -> dict[str, Any]:
        return domain.offerings_of(self.db, provider_id)

    @rpc
    def search(self, company_id: str | None = None, **params: Any) -> dict[str, Any]:
        """`company_id`: an employee's company, whose network's offers are marked."""
        found = search.search(self.db, **load(SearchRequest, params))
        offers = networks.network_offers(self.db, company_id,
                                         [item["id"] for item in found["items"]])
        for item in found["items"]:
            item["network_offer"] = offers.get(item["id"])
        return found

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

    # -- networks' circuits (docs/domain.md#a-networks-circuit) -----------------------
    @rpc
    def territory_providers(self, network_id: str, territory: dict[str, Any],
                            **page: Any) -> dict[str, Any]:
        return networks.territory_providers(self.db, network_id, load(Territory, territory),
                                            **load(NetworkProvidersRequest, page))

    @rpc
    def decide_network_provider(self, network_id: str, provider_id: str,
                                territory: dict[str, Any], **data: Any) -> dict[str, Any]:
        result = networks.decide_provider(self.db, network_id, provider_id,
                                          load(NetworkProviderDecision, data)["approved"],
                                          load(Territory, territory))
        self.db.commit()
        return result

    @rpc
    def propose_agreement(self, network_id: str, network_name: str, **data: Any
                          ) -> dict[str, Any]:
        result = networks.propose(self.db, network_id, network_name,
                                  load(AgreementRequest, data))
        self.db.commit()
        return result

    @rpc
    def network_agreements(self, network_id: str) -> dict[str, Any]:
        return networks.of_network(self.db, network_id)

    @rpc
    def end_agreement(self, network_id: str, agreement_id: str) -> dict[str, Any]:
        result = networks.end(self.db, network_id, agreement_id)
        self.db.commit()
        return result

    @rpc
    def provider_agreements(self, provider_id: str) -> dict[str, Any]:
        return networks.of_provider(self.db, provider_id)

    @rpc
    def answer_agreement(self, provider_id: str, agreement_id: str, **data: Any
                         ) -> dict[str, Any]:
        result = networks.answer(self.db, provider_id, agreement_id,
                                 load(AgreementAnswer, data)["accept"])
        self.db.commit()
        return result

    @rpc
    def network_circuit(self, network_id: str, **params: Any) -> dict[str, Any]:
        return networks.circuit(self.db, network_id, **load(NetworkCircuitRequest, params))

    @handle_event(events.NETWORK_MEMBER_JOINED, events.NETWORK_MEMBER_LEFT)
    def on_network_membership(self, event: dict[str, Any]) -> None:
        if first_delivery(self.db, inbox, event["id"], "catalog.on_network_membership"):
            networks.keep_company_network(
                self.db, events.load_payload(event),
                joined=event["type"] == events.NETWORK_MEMBER_JOINED,
                as_of=event["occurred_at"])
        self.db.commit()
