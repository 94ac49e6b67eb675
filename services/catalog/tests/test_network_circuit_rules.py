"""A network's circuit in memory (docs/domain.md#a-networks-circuit): the network
approves providers of its territory that the operators approved; its agreements on
offerings' prices are proposed by it and in force once the provider accepts; the
public list shows the agreed offers; a member's employee sees them marked."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from catalog import domain, networks
from catalog.models import Base
from catalog.schemas import (
    AgreementRequest,
    Approval,
    NetworkCircuitRequest,
    OfferingRequest,
    ProviderApplication,
)
from sqlalchemy.orm import Session
from wecare_common.contract import events
from wecare_common.errors import Conflict, InvalidInput, NotFound, RuleViolation
from wecare_common.schemas import load
from wecare_common.testing import outbox_events

IBAN = "IT60X0542811101000000123456"
TODAY = date.today()
CUNEO = {"provinces": ["CN"], "municipalities": ["Torino"]}
NET = str(uuid.uuid4())


def provider(session: Session, fake, *, approved: bool = True, price: int = 10_000,
             **changes: Any) -> tuple[dict[str, Any], dict[str, Any]]:
    """An applied (and approved) provider with one offering: (provider, offering)."""
    p = domain.register_provider(session, load(ProviderApplication, {
        "name": f"Palestra {uuid.uuid4().hex[:4]}", "vat_number": fake.vat_number(),
        "categories": ["wellbeing"], "address": "Via Roma 1", "city": "Alba",
        "province": "CN", "lat": 44.7, "lon": 8.03, "email": fake.email("p"), "iban": IBAN,
        **changes}))
    if approved:
        domain.decide(session, p["id"], load(Approval, {"status": "approved",
                                                        "commission_bps": 300}))
    o = domain.publish_offering(session, p["id"], load(OfferingRequest, {
        "title": "Abbonamento", "category": "wellbeing", "price_cents": price}))
    session.commit()
    return p, o


def propose(session: Session, offering: dict[str, Any], network: str = NET, **terms: Any
            ) -> dict[str, Any]:
    result = networks.propose(session, network, "CNA Cuneo", load(AgreementRequest, {
        "offering_id": offering["id"], **(terms or {"price_cents": 8_000})}))
    session.commit()
    return result


def approve(session: Session, provider_id: str, network: str = NET) -> dict[str, Any]:
    result = networks.decide_provider(session, network, provider_id, True, CUNEO)
    session.commit()
    return result


def kinds(session: Session) -> list[str]:
    return [e["type"] for e in outbox_events(session, Base.metadata)]


def test_a_network_approves_providers_of_its_territory_in_the_circuit(memory_session,
                                                                      fake) -> None:
    s = memory_session
    alba, _ = provider(s, fake)
    torino, _ = provider(s, fake, city=" torino ", province="TO")  # by municipality
    genova, _ = provider(s, fake, city="Genova", province="GE")
    waiting, _ = provider(s, fake, approved=False)
    assert approve(s, alba["id"])["network_status"] == "approved"
    assert approve(s, torino["id"])["network_status"] == "approved"
    with pytest.raises(RuleViolation) as outside:
        approve(s, genova["id"])
    assert outside.value.code == "provider_outside_territory"
    with pytest.raises(RuleViolation) as not_yet:
        approve(s, waiting["id"])
    assert not_yet.value.code == "provider_not_approved"
    listed = networks.territory_providers(s, NET, CUNEO, limit=50)["items"]
    assert {p["id"]: p["network_status"] for p in listed} == {
        alba["id"]: "approved", torino["id"]: "approved"}  # not Genova, not the applicant


def test_an_agreement_is_in_force_once_the_provider_accepts(memory_session, fake) -> None:
    s = memory_session
    p, o = provider(s, fake, price=10_000)
    with pytest.raises(RuleViolation) as first:  # not in the network's circuit yet
        propose(s, o)
    assert first.value.code == "provider_not_in_network"
    approve(s, p["id"])
    proposed = propose(s, o, discount_bps=1_500)
    assert (proposed["status"], proposed["agreed_price_cents"]) == ("proposed", 8_500)
    assert networks.circuit(s, NET)["items"][0]["offers"] == []  # not in force yet
    with pytest.raises(NotFound):  # another provider's agreement
        networks.answer(s, str(uuid.uuid4()), proposed["id"], True)
    accepted = networks.answer(s, p["id"], proposed["id"], True)
    s.commit()
    assert accepted["status"] == "active"
    assert kinds(s)[-2:] == [events.AGREEMENT_PROPOSED, events.AGREEMENT_ACCEPTED]
    [entry] = networks.circuit(s, NET)["items"]
    assert entry["id"] == p["id"] and "iban" not in entry and "email" not in entry
    assert entry["offers"] == [{"offering_id": o["id"], "title": "Abbonamento",
                                "category": "wellbeing", "price_cents": 10_000,
                                "discount_bps": 1_500, "agreed_price_cents": 8_500,
                                "valid_until": None}]


def test_one_agreement_per_offering_and_a_price_below_its_own(memory_session, fake) -> None:
    s = memory_session
    p, o = provider(s, fake, price=10_000)
    approve(s, p["id"])
    with pytest.raises(RuleViolation) as refused:
        propose(s, o, price_cents=10_000)
    assert refused.value.code == "agreed_price_not_lower"
    assert refused.value.params == {"price_cents": 10_000}
    propose(s, o)
    with pytest.raises(Conflict) as twice:
        propose(s, o, discount_bps=500)
    assert twice.value.code == "agreement_exists"
    s.rollback()  # as the service does after a refusal
    other = str(uuid.uuid4())  # another network may propose its own
    approve(s, p["id"], network=other)
    assert propose(s, o, network=other)["network_id"] == other


def test_the_circuit_by_category_lists_its_providers_and_their_offers_of_it(
        memory_session, fake) -> None:
    """As the catalogue's search filters offerings, and the platform's circuit its
    providers: a provider whose agreement covers the category, with its agreed
    offerings of that category only."""
    s = memory_session
    both, gym = provider(s, fake, categories=["education", "wellbeing"])
    nursery = domain.publish_offering(s, both["id"], load(OfferingRequest, {
        "title": "Nido, un mese", "category": "education", "price_cents": 40_000}))
    gym_only, _ = provider(s, fake)
    for p in (both, gym_only):
        approve(s, p["id"])
    for o in (gym, nursery):
        networks.answer(s, both["id"], propose(s, o, discount_bps=1_000)["id"], True)
    s.commit()

    def listed(category: str | None) -> dict[str, list[str]]:
        return {p["id"]: [o["title"] for o in p["offers"]]
                for p in networks.circuit(s, NET, category)["items"]}

    assert listed(None) == {both["id"]: ["Abbonamento", "Nido, un mese"], gym_only["id"]: []}
    assert listed("education") == {both["id"]: ["Nido, un mese"]}
    assert listed("wellbeing") == {both["id"]: ["Abbonamento"], gym_only["id"]: []}
    assert listed("pension") == {}
    assert load(NetworkCircuitRequest, {}) == {"category": None}
    with pytest.raises(InvalidInput) as unknown:  # the catalogue search's refusal
        load(NetworkCircuitRequest, {"category": "spa"})
    assert unknown.value.problems["category"][0]["code"] == "one_of"


@pytest.mark.parametrize(("terms", "field"), [
    ({}, "price_cents"),
    ({"price_cents": 100, "discount_bps": 100}, "price_cents"),
    ({"discount_bps": 10_000}, "discount_bps"),  # never free
    ({"discount_bps": 0}, "discount_bps"),
    ({"price_cents": 100, "valid_from": TODAY.isoformat(),
      "valid_until": (TODAY - timedelta(days=1)).isoformat()}, "valid_until"),
])
def test_terms_are_a_price_or_a_discount(terms: dict, field: str) -> None:
    with pytest.raises(InvalidInput) as refused:
        load(AgreementRequest, {"offering_id": "x", **terms})
    assert field in refused.value.fields and field in refused.value.problems


def test_ending_and_withdrawing_the_provider_end_agreements(memory_session, fake) -> None:
    s = memory_session
    p, o = provider(s, fake)
    _, o2 = p, domain.publish_offering(s, p["id"], load(OfferingRequest, {
        "title": "Corso", "category": "wellbeing", "price_cents": 5_000}))
    approve(s, p["id"])
    first = propose(s, o)
    networks.answer(s, p["id"], first["id"], True)
    second = propose(s, o2, discount_bps=1_000)
    s.commit()
    with pytest.raises(NotFound):  # another network's staff
        networks.end(s, str(uuid.uuid4()), first["id"])
    networks.decide_provider(s, NET, p["id"], False, CUNEO)
    s.commit()
    statuses = {a["id"]: a["status"] for a in networks.of_network(s, NET)["items"]}
    assert statuses == {first["id"]: "ended", second["id"]: "withdrawn"}
    assert kinds(s)[-1] == events.AGREEMENT_ENDED  # the wallet stops applying it
    assert networks.circuit(s, NET)["items"] == []
    with pytest.raises(Conflict):
        networks.answer(s, p["id"], second["id"], True)


def test_a_member_s_employee_sees_the_network_s_offer(memory_session, fake) -> None:
    s = memory_session
    p, o = provider(s, fake, price=10_000)
    approve(s, p["id"])
    networks.answer(s, p["id"], propose(s, o, price_cents=7_000)["id"], True)
    member, outsider = str(uuid.uuid4()), str(uuid.uuid4())
    now = datetime.now(UTC)
    networks.keep_company_network(s, {"company_id": member, "network_id": NET,
                                      "network_name": "CNA Cuneo"}, joined=True, as_of=now)
    offers = networks.network_offers(s, member, [o["id"]])
    assert offers[o["id"]]["price_cents"] == 7_000
    assert offers[o["id"]]["network_name"] == "CNA Cuneo"
    assert networks.network_offers(s, outsider, [o["id"]]) == {}
    # an older event (leaving, sent before joining) changes nothing; a newer one does
    networks.keep_company_network(s, {"company_id": member, "network_id": NET,
                                      "network_name": "CNA Cuneo"}, joined=False,
                                  as_of=now - timedelta(seconds=1))
    assert networks.network_offers(s, member, [o["id"]])
    networks.keep_company_network(s, {"company_id": member, "network_id": NET,
                                      "network_name": "CNA Cuneo"}, joined=False,
                                  as_of=now + timedelta(seconds=1))
    assert networks.network_offers(s, member, [o["id"]]) == {}


def test_an_agreement_outside_its_dates_is_not_offered(memory_session, fake) -> None:
    s = memory_session
    p, o = provider(s, fake, price=10_000)
    approve(s, p["id"])
    later = propose(s, o, price_cents=7_000, valid_from=(TODAY + timedelta(days=3)).isoformat())
    networks.answer(s, p["id"], later["id"], True)
    s.commit()
    assert networks.circuit(s, NET)["items"][0]["offers"] == []
