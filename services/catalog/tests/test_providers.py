"""An operator's lists of providers by state, on real PostgreSQL: applications
waiting, the circuit, the suspended; paged oldest first."""

from __future__ import annotations

import random
import string
import uuid
from collections.abc import Iterator

import pytest
from catalog import domain
from catalog.models import Provider
from catalog.schemas import ProvidersRequest
from marshmallow import ValidationError
from sqlalchemy import select
from sqlalchemy.orm import Session
from wecare_common.outbox import outbox_sessionmaker


@pytest.fixture
def session(engines) -> Iterator[Session]:
    from catalog.models import Base

    with outbox_sessionmaker(engines("catalog"), Base.metadata)() as s:
        yield s
        s.rollback()


def apply(session: Session, fake) -> str:
    return domain.register_provider(session, {
        "name": f"Nido {uuid.uuid4().hex[:6]}", "vat_number": fake.vat_number(),
        "categories": ["education"], "address": "Via Po 1, Torino", "city": "Torino",
        "province": "TO", "lat": 45.07, "lon": 7.69, "email": fake.email("p"),
        "iban": "IT60X0542811101000000123456"})["id"]


def decide(session: Session, provider_id: str, status: str, bps: int | None = None) -> None:
    domain.decide(session, provider_id, {"status": status, "commission_bps": bps,
                                         "agreement_start": None, "stripe_account_id": None})


def every(session: Session, status: str, limit: int = 2) -> list[dict]:
    """All pages of one state, following the cursor."""
    items, cursor = [], None
    while True:
        page = domain.providers(session, status=status, limit=limit, cursor=cursor)
        items += page["items"]
        cursor = page["next_cursor"]
        if cursor is None:
            return items


def test_each_state_lists_its_own_providers_oldest_first(session, fake) -> None:
    waiting = [apply(session, fake) for _ in range(3)]
    approved, suspended = apply(session, fake), apply(session, fake)
    decide(session, approved, "approved", 0)
    decide(session, suspended, "approved", 300)
    decide(session, suspended, "suspended")

    pending = [p["id"] for p in every(session, "pending")]
    assert [p for p in pending if p in waiting] == waiting  # oldest first, across pages
    assert approved not in pending and suspended not in pending
    circuit = {p["id"]: p for p in every(session, "approved")}
    assert circuit[approved]["commission_bps"] == 0 and suspended not in circuit
    stopped = {p["id"]: p for p in every(session, "suspended")}
    assert stopped[suspended]["commission_bps"] == 300
    first = domain.providers(session, status="pending", limit=1, cursor=None)
    assert len(first["items"]) == 1 and first["next_cursor"] is not None
    # what an operator needs to decide: who, where, what, and how to reach them
    view = next(p for p in every(session, "pending") if p["id"] == waiting[0])
    assert {"name", "vat_number", "categories", "address", "email", "created_at"} <= set(view)


def test_the_request_names_a_known_state() -> None:
    assert ProvidersRequest().load({}) == {"status": "pending", "limit": 50, "cursor": None}
    with pytest.raises(ValidationError):
        ProvidersRequest().load({"status": "deleted"})
    with pytest.raises(ValidationError):
        ProvidersRequest().load({"cursor": "1; drop"})


def test_the_circuit_by_category_pages_through_every_provider_of_it(session, fake) -> None:
    """The category is filtered in the query (a JSON list on PostgreSQL too): a page
    filtered after its limit came back short and ended the list early."""
    province = "Z" + random.choice(string.ascii_uppercase)
    care = []
    for n in range(6):
        provider_id = apply(session, fake)
        provider = session.scalar(select(Provider).where(Provider.id == provider_id))
        provider.province = province
        if n % 3 == 0:
            provider.categories = ["family_care", "education"]
            care.append(provider_id)
        decide(session, provider_id, "approved", 0)
    session.flush()
    seen, cursor = [], None
    while True:
        page = domain.circuit(session, province, "family_care", limit=1, cursor=cursor)
        seen += [p["id"] for p in page["items"]]
        if (cursor := page["next_cursor"]) is None:
            break
    assert seen == care
