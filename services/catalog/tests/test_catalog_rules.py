"""The catalog's rules in memory (docs/domain.md#providers): a provider applies, an
admin approves it with a commission or suspends it, it publishes, changes and
withdraws offerings in its agreement's categories, and each of these is announced
by an outbox row written in the same session; the circuit; employees' proposals.
Input is loaded through the service's own schemas, as the service loads it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from catalog import domain
from catalog.models import Base, Offering, Proposal, Provider
from catalog.schemas import Approval, OfferingRequest, OfferingUpdate, ProviderApplication
from sqlalchemy import func, select
from sqlalchemy.orm import Session
from wecare_common.contract import events
from wecare_common.errors import Conflict, InvalidInput, NotFound, RuleViolation
from wecare_common.schemas import load
from wecare_common.testing import outbox_events

IBAN = "IT60X0542811101000000123456"
TODAY = date.today()


def application(fake, **changes: Any) -> dict[str, Any]:
    return {"name": f"Nido {uuid.uuid4().hex[:6]}", "vat_number": fake.vat_number(),
            "categories": ["education"], "address": "Via Po 1, Torino", "city": "Torino",
            "province": "to", "lat": 45.07, "lon": 7.69, "email": fake.email("p"),
            "iban": IBAN, **changes}


def apply(session: Session, fake, key: str | None = None, **changes: Any) -> dict[str, Any]:
    return domain.register_provider(session, load(ProviderApplication,
                                                  application(fake, **changes)), key)


def decide(session: Session, provider_id: str, **data: Any) -> dict[str, Any]:
    return domain.decide(session, provider_id, load(Approval, data))


def approved(session: Session, fake, bps: int = 500, **changes: Any) -> dict[str, Any]:
    return decide(session, apply(session, fake, **changes)["id"], status="approved",
                  commission_bps=bps)


def publish(session: Session, provider_id: str, **changes: Any) -> dict[str, Any]:
    data = {"title": "Asilo nido, un mese", "category": "education", "price_cents": 45000,
            **changes}
    return domain.publish_offering(session, provider_id, load(OfferingRequest, data))


def announced(session: Session, kind: str | None = None) -> list[dict[str, Any]]:
    return [e for e in outbox_events(session, Base.metadata) if kind in (None, e["type"])]


def count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def fields_of(exc: pytest.ExceptionInfo) -> set[str]:
    return set(exc.value.fields)


# -- providers apply ------------------------------------------------------------------
def test_an_application_waits_pending_and_is_announced_without_its_iban(
        memory_session, fake) -> None:
    view = apply(memory_session, fake)
    assert view["status"] == "pending" and view["commission_bps"] is None
    assert view["province"] == "TO"  # the schema upper-cases it
    [event] = announced(memory_session)
    assert event["type"] == events.PROVIDER_REGISTERED
    assert event["payload"]["id"] == view["id"] and "iban" not in event["payload"]


def test_an_application_asked_again_with_its_key_is_the_same_one(memory_session, fake) -> None:
    data = load(ProviderApplication, application(fake))
    first = domain.register_provider(memory_session, dict(data), "signup-1")
    again = domain.register_provider(memory_session, dict(data), "signup-1")
    assert again["id"] == first["id"]
    assert count(memory_session, Provider) == 1 and len(announced(memory_session)) == 1


def test_a_second_application_with_the_same_vat_number_is_refused_naming_it(
        memory_session, fake) -> None:
    first = apply(memory_session, fake)
    with pytest.raises(Conflict) as refused:
        apply(memory_session, fake, vat_number=first["vat_number"])
    assert fields_of(refused) == {"vat_number"}
    assert count(memory_session, Provider) == 1 and len(announced(memory_session)) == 1


@pytest.mark.parametrize(("field", "bad"), [
    ("vat_number", "12345678901"),  # check digit wrong
    ("iban", "IT60X0542811101000000123457"),  # check digits wrong
    ("categories", []),
    ("categories", ["groceries"]),
    ("lat", 91), ("lon", -181),
    ("province", "Torino"),
    ("email", "not-an-email"),
    ("language", "de"), ("language", "EN"),
])
def test_an_application_with_a_bad_field_is_refused_naming_it(
        memory_session, fake, field: str, bad: Any) -> None:
    with pytest.raises(InvalidInput) as refused:
        apply(memory_session, fake, **{field: bad})
    assert field in fields_of(refused)
    assert count(memory_session, Provider) == 0 and announced(memory_session) == []


def test_a_provider_keeps_the_language_it_applied_in_and_every_announcement_carries_it(
        memory_session, fake) -> None:
    english = apply(memory_session, fake, language="en")
    assert english["language"] == "en"
    assert apply(memory_session, fake)["language"] == "it"  # none given: Italian
    decide(memory_session, english["id"], status="approved", commission_bps=500)
    decide(memory_session, english["id"], status="suspended")
    told = [e["payload"]["language"] for e in announced(memory_session)
            if e["payload"]["id"] == english["id"]]
    assert told == ["en", "en", "en"]  # registered, approved, suspended


# -- an admin decides ------------------------------------------------------------------
def test_an_approval_states_the_commission_and_refuses_without_one(memory_session, fake) -> None:
    pending = apply(memory_session, fake)
    with pytest.raises(RuleViolation) as refused:
        decide(memory_session, pending["id"], status="approved")
    assert fields_of(refused) == {"commission_bps"}
    assert domain.get_provider(memory_session, pending["id"]).status == "pending"
    assert announced(memory_session, events.PROVIDER_APPROVED) == []


def test_a_commission_of_zero_approves_and_the_agreement_starts_today(
        memory_session, fake) -> None:
    view = approved(memory_session, fake, bps=0)
    assert view["status"] == "approved" and view["commission_bps"] == 0
    assert view["agreement_start"] == TODAY.isoformat()


def test_the_wallet_hears_of_an_approval_with_where_to_pay(memory_session, fake) -> None:
    pending = apply(memory_session, fake)
    decide(memory_session, pending["id"], status="approved", commission_bps=750,
           agreement_start="2026-01-01", stripe_account_id="acct_ABC123def")
    [event] = announced(memory_session, events.PROVIDER_APPROVED)
    assert event["payload"]["iban"] == IBAN
    assert event["payload"]["stripe_account_id"] == "acct_ABC123def"
    assert event["payload"]["commission_bps"] == 750
    assert event["payload"]["agreement_start"] == "2026-01-01"


@pytest.mark.parametrize(("data", "field"), [
    ({"status": "deleted"}, "status"),
    ({"status": "approved", "commission_bps": -1}, "commission_bps"),
    ({"status": "approved", "commission_bps": 5001}, "commission_bps"),
    ({"status": "approved", "commission_bps": "500"}, "commission_bps"),  # strict integer
    ({"status": "approved", "commission_bps": 0, "stripe_account_id": "acc_1"},
     "stripe_account_id"),
])
def test_a_decision_with_a_bad_field_is_refused_naming_it(
        memory_session, fake, data: dict, field: str) -> None:
    pending = apply(memory_session, fake)
    with pytest.raises(InvalidInput) as refused:
        decide(memory_session, pending["id"], **data)
    assert field in fields_of(refused)
    assert domain.get_provider(memory_session, pending["id"]).status == "pending"


def test_a_suspension_keeps_the_commission_and_is_announced(memory_session, fake) -> None:
    provider = approved(memory_session, fake, bps=300)
    view = decide(memory_session, provider["id"], status="suspended")
    assert view["status"] == "suspended" and view["commission_bps"] == 300
    [event] = announced(memory_session, events.PROVIDER_SUSPENDED)
    assert event["payload"]["id"] == provider["id"]


def test_deciding_on_an_unknown_provider_is_not_found(memory_session) -> None:
    with pytest.raises(NotFound) as refused:
        decide(memory_session, str(uuid.uuid4()), status="suspended")
    assert fields_of(refused) == {"provider_id"}
    assert announced(memory_session) == []


# -- offerings -------------------------------------------------------------------------
def test_publishing_announces_the_price_with_the_provider_s_commission(
        memory_session, fake) -> None:
    provider = approved(memory_session, fake, bps=800)
    offering = publish(memory_session, provider["id"], price_cents=12345)
    assert offering["status"] == "active" and offering["delivery"] == "on_site"
    [event] = announced(memory_session, events.OFFERING_PUBLISHED)
    assert event["payload"]["id"] == offering["id"]
    assert event["payload"]["price_cents"] == 12345
    assert event["payload"]["commission_bps"] == 800
    assert event["payload"]["provider_name"] == provider["name"]


def test_an_offering_outside_the_agreement_s_categories_is_refused(memory_session, fake) -> None:
    provider = approved(memory_session, fake)
    with pytest.raises(RuleViolation) as refused:
        publish(memory_session, provider["id"], category="transport")
    assert fields_of(refused) == {"category"}
    assert count(memory_session, Offering) == 0
    assert announced(memory_session, events.OFFERING_PUBLISHED) == []


@pytest.mark.parametrize(("changes", "field"), [
    ({"valid_from": "2026-03-01", "valid_until": "2026-02-28"}, "valid_until"),
    ({"price_cents": 0}, "price_cents"),
    ({"price_cents": 10.5}, "price_cents"),
    ({"delivery": "by_drone"}, "delivery"),
    ({"title": ""}, "title"),
    ({"category": "groceries"}, "category"),
])
def test_an_offering_with_a_bad_field_is_refused_naming_it(
        memory_session, fake, changes: dict, field: str) -> None:
    provider = approved(memory_session, fake)
    with pytest.raises(InvalidInput) as refused:
        publish(memory_session, provider["id"], **changes)
    assert field in fields_of(refused)
    assert count(memory_session, Offering) == 0


def test_a_change_is_announced_again_with_what_it_changed(memory_session, fake) -> None:
    provider = approved(memory_session, fake)
    offering = publish(memory_session, provider["id"], price_cents=45000)
    changes = load(OfferingUpdate, {"price_cents": 39900, "title": "Nido, un mese"})
    view = domain.update_offering(memory_session, provider["id"], offering["id"], changes)
    assert view["price_cents"] == 39900 and view["title"] == "Nido, un mese"
    published = announced(memory_session, events.OFFERING_PUBLISHED)
    assert [e["payload"]["price_cents"] for e in published] == [45000, 39900]


def test_a_change_may_not_end_the_validity_before_its_start(memory_session, fake) -> None:
    provider = approved(memory_session, fake)
    offering = publish(memory_session, provider["id"], valid_from="2026-03-01")
    memory_session.commit()
    changes = load(OfferingUpdate, {"valid_until": "2026-02-01"})  # alone it looks fine
    with pytest.raises(InvalidInput) as refused:
        domain.update_offering(memory_session, provider["id"], offering["id"], changes)
    assert fields_of(refused) == {"valid_until"}
    memory_session.rollback()  # as the service does on an error
    assert domain.offering_detail(memory_session, offering["id"])["valid_until"] is None
    assert len(announced(memory_session, events.OFFERING_PUBLISHED)) == 1


def test_an_update_names_only_what_a_provider_may_change(memory_session) -> None:
    with pytest.raises(InvalidInput) as refused:
        load(OfferingUpdate, {"category": "transport", "provider_id": "x"})
    assert fields_of(refused) == {"category", "provider_id"}


def test_withdrawing_is_announced_once_and_a_withdrawn_offering_does_not_change(
        memory_session, fake) -> None:
    provider = approved(memory_session, fake)
    offering = publish(memory_session, provider["id"])
    view = domain.withdraw_offering(memory_session, provider["id"], offering["id"])
    assert view["status"] == "withdrawn"
    [event] = announced(memory_session, events.OFFERING_WITHDRAWN)
    assert event["payload"]["id"] == offering["id"] and event["payload"]["status"] == "withdrawn"
    with pytest.raises(Conflict) as again:
        domain.withdraw_offering(memory_session, provider["id"], offering["id"])
    assert fields_of(again) == {"offering_id"}
    with pytest.raises(Conflict) as changed:
        domain.update_offering(memory_session, provider["id"], offering["id"],
                               {"price_cents": 100})
    assert fields_of(changed) == {"offering_id"}
    assert len(announced(memory_session, events.OFFERING_WITHDRAWN)) == 1
    # a voucher bought before still names it
    detail = domain.offering_detail(memory_session, offering["id"])
    assert detail["status"] == "withdrawn" and detail["provider_name"] == provider["name"]


def test_only_its_own_provider_changes_or_withdraws_an_offering(memory_session, fake) -> None:
    owner, other = approved(memory_session, fake), approved(memory_session, fake)
    offering = publish(memory_session, owner["id"])
    with pytest.raises(NotFound) as changed:
        domain.update_offering(memory_session, other["id"], offering["id"], {"price_cents": 1})
    with pytest.raises(NotFound) as withdrawn:
        domain.withdraw_offering(memory_session, other["id"], offering["id"])
    assert fields_of(changed) == fields_of(withdrawn) == {"offering_id"}
    assert domain.offering_detail(memory_session, offering["id"])["status"] == "active"
    assert len(announced(memory_session, events.OFFERING_PUBLISHED)) == 1


def test_a_provider_s_offerings_newest_first_withdrawn_too(memory_session, fake) -> None:
    provider = approved(memory_session, fake)
    first = publish(memory_session, provider["id"], title="Primo")
    second = publish(memory_session, provider["id"], title="Secondo")
    domain.withdraw_offering(memory_session, provider["id"], first["id"])
    listed = domain.offerings_of(memory_session, provider["id"])["items"]
    assert {o["id"] for o in listed} == {first["id"], second["id"]}
    with pytest.raises(NotFound):
        domain.offerings_of(memory_session, str(uuid.uuid4()))
    with pytest.raises(NotFound) as unknown:
        domain.offering_detail(memory_session, str(uuid.uuid4()))
    assert fields_of(unknown) == {"offering_id"}


# -- the circuit and the operator's lists ---------------------------------------------
def every_page(fetch, limit: int) -> list[str]:
    seen, cursor = [], None
    while True:
        page = fetch(limit=limit, cursor=cursor)
        assert len(page["items"]) <= limit
        seen += [p["id"] for p in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            return seen


def test_the_circuit_lists_approved_providers_by_province_oldest_first(
        memory_session, fake) -> None:
    torino = [approved(memory_session, fake)["id"] for _ in range(3)]
    milano = approved(memory_session, fake, province="MI")["id"]
    apply(memory_session, fake)  # pending
    stopped = approved(memory_session, fake)["id"]
    decide(memory_session, stopped, status="suspended")

    def circuit(province: str | None = None, **page: Any) -> dict:
        return domain.circuit(memory_session, province, None, **page)

    assert every_page(circuit, limit=2) == [*torino, milano]
    assert every_page(lambda **page: circuit("TO", **page), limit=2) == torino
    item = circuit("MI", limit=10, cursor=None)["items"][0]
    assert "iban" not in item and "email" not in item and "vat_number" not in item


def test_the_circuit_by_category_pages_through_every_provider_of_it(memory_session, fake) -> None:
    care = []
    for n in range(6):
        provider = approved(memory_session, fake, categories=["education"] if n % 3
                            else ["family_care", "education"])
        if n % 3 == 0:
            care.append(provider["id"])
    seen = every_page(lambda **page: domain.circuit(memory_session, None, "family_care",
                                                    **page), limit=1)
    assert seen == care


def test_the_operator_lists_each_state_oldest_first(memory_session, fake) -> None:
    waiting = [apply(memory_session, fake)["id"] for _ in range(3)]
    stopped = approved(memory_session, fake)["id"]
    decide(memory_session, stopped, status="suspended")
    assert every_page(lambda **page: domain.providers(memory_session, "pending", **page),
                      limit=2) == waiting
    assert every_page(lambda **page: domain.providers(memory_session, "suspended", **page),
                      limit=2) == [stopped]


# -- employees propose providers ------------------------------------------------------
def proposal(fake, **changes: Any) -> dict[str, Any]:
    return {"name": "Palestra Sole", "city": "Torino", "email": fake.email("gym"),
            "category": "wellbeing", **changes}


def test_a_proposal_invites_a_provider_the_platform_does_not_know(memory_session, fake) -> None:
    view = domain.propose(memory_session, "emp-1", "co-1", proposal(fake))
    assert view["status"] == "invited" and view["provider_id"] is None
    [event] = announced(memory_session, events.PROVIDER_PROPOSED)
    assert event["payload"]["id"] == view["id"] and event["company_id"] == "co-1"


def test_the_invited_provider_s_application_and_approval_move_the_proposal(
        memory_session, fake) -> None:
    email = fake.email("gym")
    proposed = domain.propose(memory_session, "emp-1", "co-1", proposal(fake, email=email))
    provider = apply(memory_session, fake, email=email.upper(), categories=["wellbeing"])
    row = memory_session.scalar(select(Proposal).where(Proposal.id == proposed["id"]))
    assert (row.status, row.provider_id) == ("applied", provider["id"])
    decide(memory_session, provider["id"], status="approved", commission_bps=0)
    [mine] = domain.proposals_of(memory_session, "emp-1")["items"]
    assert mine["status"] == "approved"


@pytest.mark.parametrize(("decision", "status"), [(None, "applied"), ("approved", "approved")])
def test_a_proposal_of_a_known_provider_is_not_invited_again(
        memory_session, fake, decision: str | None, status: str) -> None:
    provider = apply(memory_session, fake)
    if decision:
        decide(memory_session, provider["id"], status=decision, commission_bps=0)
    view = domain.propose(memory_session, "emp-1", None,
                          proposal(fake, email=provider["email"]))
    assert (view["status"], view["provider_id"]) == (status, provider["id"])
    assert announced(memory_session, events.PROVIDER_PROPOSED) == []


def test_an_address_proposed_lately_is_not_invited_again(memory_session, fake) -> None:
    """Proposals cannot make WeCare write to one address again and again (issue 23.8)."""
    email = fake.email("gym")
    first = domain.propose(memory_session, "emp-1", "co-1", proposal(fake, email=email))
    again = domain.propose(memory_session, "emp-2", "co-2",
                           proposal(fake, email=email.upper(), name="Altro nome"))
    assert first["status"] == again["status"] == "invited"  # each tracks its proposal
    [event] = announced(memory_session, events.PROVIDER_PROPOSED)
    assert event["payload"]["id"] == first["id"]
    for row in memory_session.scalars(select(Proposal).where(
            Proposal.id.in_([first["id"], again["id"]]))):
        row.created_at = datetime.now(UTC) - domain.INVITED_ONCE_IN - timedelta(minutes=1)
    later = domain.propose(memory_session, "emp-3", "co-1", proposal(fake, email=email))
    assert [e["payload"]["id"] for e in announced(memory_session, events.PROVIDER_PROPOSED)
            ] == [first["id"], later["id"]]


def test_an_employee_sees_only_their_own_proposals_newest_first(memory_session, fake) -> None:
    first = domain.propose(memory_session, "emp-1", "co-1", proposal(fake))
    second = domain.propose(memory_session, "emp-1", "co-1", proposal(fake))
    domain.propose(memory_session, "emp-2", "co-1", proposal(fake))
    assert [p["id"] for p in domain.proposals_of(memory_session, "emp-1")["items"]] == [
        second["id"], first["id"]]


def test_an_offering_valid_until_a_past_date_is_still_published(memory_session, fake) -> None:
    """Publishing checks the order of the dates, not that they are ahead: the search
    leaves out what is out of its validity (test_search_rules)."""
    provider = approved(memory_session, fake)
    offering = publish(memory_session, provider["id"],
                       valid_until=(TODAY - timedelta(days=1)).isoformat())
    assert offering["status"] == "active"


def test_a_pending_application_may_be_suspended_and_a_suspended_provider_approved_again(
        memory_session, fake) -> None:
    pending = apply(memory_session, fake)
    assert decide(memory_session, pending["id"], status="suspended")["status"] == "suspended"
    again = decide(memory_session, pending["id"], status="approved", commission_bps=100)
    assert (again["status"], again["commission_bps"]) == ("approved", 100)
    assert [e["type"] for e in announced(memory_session)] == [
        events.PROVIDER_REGISTERED, events.PROVIDER_SUSPENDED, events.PROVIDER_APPROVED]
