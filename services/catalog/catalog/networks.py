"""A network's circuit, as plain functions over a session (docs/domain.md#a-networks-circuit):
the providers a network approves for its members (operator-approved providers of its
territory), its agreements with them on offerings' prices, the public list of the
circuit, and which network each company is in (a copy, from benefits' events), so that
its employees see their network's offers marked as such.

The network itself (its name, its territory) is benefits'; the gateway passes what
these functions need of it."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import func, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from wecare_common.contract import events, refusals
from wecare_common.contract.benefits import same_place
from wecare_common.db import aware
from wecare_common.money import agreed_price
from wecare_common.outbox import record_event

from catalog.domain import get_provider, offers_in, provider_view
from catalog.models import Agreement, CompanyNetwork, NetworkProvider, Offering, Provider

PRODUCER = "catalog"
PUBLIC = ("id", "name", "categories", "address", "city", "province", "lat", "lon")


def in_territory(provider: Provider, territory: dict[str, list[str]]) -> bool:
    """A provider is in a territory when its province, or its municipality, is."""
    return provider.province in territory.get("provinces", []) or any(
        same_place(provider.city, m) for m in territory.get("municipalities", []))


def _territory_filter(territory: dict[str, list[str]]) -> Any:
    municipalities = [" ".join(m.split()).lower() for m in territory.get("municipalities", [])]
    return or_(Provider.province.in_(territory.get("provinces", []) or ["--"]),
               func.lower(func.trim(Provider.city)).in_(municipalities or ["--"]))


# -- the network's approval of providers ----------------------------------------------------
def territory_providers(session: Session, network_id: str, territory: dict[str, list[str]],
                        limit: int, cursor: str | None = None) -> dict[str, Any]:
    """The circuit's providers (approved by the operators) in the network's territory,
    each with whether the network approved it for its members."""
    query = (select(Provider, NetworkProvider.status)
             .outerjoin(NetworkProvider, (NetworkProvider.provider_id == Provider.id)
                        & (NetworkProvider.network_id == network_id))
             .where(Provider.status == "approved", _territory_filter(territory))
             .order_by(Provider.seq).limit(limit + 1))
    if cursor:
        query = query.where(Provider.seq > int(cursor))
    rows = session.execute(query).tuples().all()
    return {"items": [{**{k: provider_view(p)[k] for k in PUBLIC},
                       "network_status": status or "none"} for p, status in rows[:limit]],
            "next_cursor": str(rows[limit - 1][0].seq) if len(rows) > limit else None}


def decide_provider(session: Session, network_id: str, provider_id: str, approved: bool,
                    territory: dict[str, list[str]]) -> dict[str, Any]:
    """The network approves a provider for its members (it must be in the operators'
    circuit and in the network's territory), or withdraws it: its agreements end."""
    provider = get_provider(session, provider_id)
    now = datetime.now(UTC)
    if approved:
        if provider.status != "approved":
            raise refusals.PROVIDER_NOT_APPROVED(field="provider_id")
        if not in_territory(provider, territory):
            raise refusals.PROVIDER_OUTSIDE_TERRITORY(field="provider_id")
    row = session.get(NetworkProvider, (network_id, provider_id))
    if row is None:
        row = NetworkProvider(network_id=network_id, provider_id=provider_id)
        session.add(row)
    row.status, row.decided_at = ("approved" if approved else "withdrawn"), now
    if not approved:
        for agreement in session.scalars(select(Agreement).where(
                Agreement.network_id == network_id, Agreement.provider_id == provider_id,
                Agreement.status.in_(("proposed", "active"))).with_for_update()):
            _close(session, agreement, now)
    session.flush()
    return {**{k: provider_view(provider)[k] for k in PUBLIC}, "network_status": row.status}


def _approved_here(session: Session, network_id: str, provider_id: str) -> bool:
    row = session.get(NetworkProvider, (network_id, provider_id))
    return row is not None and row.status == "approved"


# -- agreements ------------------------------------------------------------------------------
def agreement_view(a: Agreement, offering: Offering | None = None,
                   provider: Provider | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": a.id, "network_id": a.network_id, "network_name": a.network_name,
        "provider_id": a.provider_id, "offering_id": a.offering_id,
        "price_cents": a.price_cents, "discount_bps": a.discount_bps,
        "valid_from": a.valid_from.isoformat() if a.valid_from else None,
        "valid_until": a.valid_until.isoformat() if a.valid_until else None,
        "status": a.status, "created_at": a.created_at.isoformat(),
        "answered_at": a.answered_at.isoformat() if a.answered_at else None,
        "ended_at": a.ended_at.isoformat() if a.ended_at else None}
    if offering is not None:
        view |= {"offering_title": offering.title, "category": offering.category,
                 "list_price_cents": offering.price_cents,
                 "agreed_price_cents": agreed_price(offering.price_cents, a.price_cents,
                                                    a.discount_bps)}
    if provider is not None:
        view["provider_name"] = provider.name
    return view


def propose(session: Session, network_id: str, network_name: str, data: dict[str, Any]
            ) -> dict[str, Any]:
    """The network proposes a price (or a discount) on an offering of a provider it
    approved; the provider accepts it, or not."""
    offering = session.scalar(select(Offering).where(Offering.id == data["offering_id"]))
    if offering is None or offering.status != "active":
        raise refusals.NOT_FOUND(field="offering_id")
    provider = get_provider(session, offering.provider_id)
    if provider.status != "approved" or not _approved_here(session, network_id, provider.id):
        raise refusals.PROVIDER_NOT_IN_NETWORK(field="offering_id")
    if data.get("price_cents") is not None and data["price_cents"] >= offering.price_cents:
        raise refusals.AGREED_PRICE_NOT_LOWER(price_cents=offering.price_cents,
                                              field="price_cents")
    agreement = Agreement(id=str(uuid.uuid4()), network_id=network_id,
                          network_name=network_name, provider_id=provider.id,
                          offering_id=offering.id, price_cents=data.get("price_cents"),
                          discount_bps=data.get("discount_bps"),
                          valid_from=data.get("valid_from"), valid_until=data.get("valid_until"),
                          status="proposed", created_at=datetime.now(UTC))
    try:
        with session.begin_nested():
            session.add(agreement)
            session.flush()
    except IntegrityError as exc:
        raise refusals.AGREEMENT_EXISTS(field="offering_id") from exc
    record_event(session, events.AGREEMENT_PROPOSED, {
        **agreement_view(agreement), "offering_title": offering.title}, producer=PRODUCER,
        company_id=None)
    return agreement_view(agreement, offering, provider)


def _live(session: Session, agreement_id: str) -> Agreement:
    agreement = session.scalar(select(Agreement).where(Agreement.id == agreement_id)
                               .with_for_update())
    if agreement is None:
        raise refusals.NOT_FOUND(field="agreement_id")
    return agreement


def _close(session: Session, agreement: Agreement, now: datetime) -> None:
    """A proposal withdrawn, or an agreement in force ended (the wallet hears it)."""
    if agreement.status == "proposed":
        agreement.status, agreement.answered_at = "withdrawn", now
    elif agreement.status == "active":
        agreement.status, agreement.ended_at = "ended", now
        record_event(session, events.AGREEMENT_ENDED, agreement_view(agreement),
                     producer=PRODUCER, company_id=None)


def answer(session: Session, provider_id: str, agreement_id: str, accept: bool
           ) -> dict[str, Any]:
    """The provider accepts a proposal (it is in force), declines it, or ends one in
    force."""
    agreement = _live(session, agreement_id)
    if agreement.provider_id != provider_id:
        raise refusals.NOT_FOUND(field="agreement_id")
    now = datetime.now(UTC)
    if accept:
        if agreement.status != "proposed":
            raise refusals.AGREEMENT_NOT_PROPOSED(state=agreement.status,
                                                  field="agreement_id")
        agreement.status, agreement.answered_at = "active", now
        record_event(session, events.AGREEMENT_ACCEPTED, agreement_view(agreement),
                     producer=PRODUCER, company_id=None)
    elif agreement.status == "proposed":
        agreement.status, agreement.answered_at = "declined", now
    elif agreement.status == "active":
        _close(session, agreement, now)
    else:
        raise refusals.AGREEMENT_CLOSED(state=agreement.status, field="agreement_id")
    return _full_view(session, agreement)


def end(session: Session, network_id: str, agreement_id: str) -> dict[str, Any]:
    """The network withdraws its proposal, or ends an agreement in force."""
    agreement = _live(session, agreement_id)
    if agreement.network_id != network_id:
        raise refusals.NOT_FOUND(field="agreement_id")
    if agreement.status not in ("proposed", "active"):
        raise refusals.AGREEMENT_CLOSED(state=agreement.status, field="agreement_id")
    _close(session, agreement, datetime.now(UTC))
    return _full_view(session, agreement)


def _full_view(session: Session, a: Agreement) -> dict[str, Any]:
    return agreement_view(a, session.scalar(select(Offering).where(Offering.id == a.offering_id)),
                          session.scalar(select(Provider).where(Provider.id == a.provider_id)))


def _listing(session: Session, where: Any) -> dict[str, Any]:
    rows = session.execute(
        select(Agreement, Offering, Provider)
        .join(Offering, Offering.id == Agreement.offering_id)
        .join(Provider, Provider.id == Agreement.provider_id)
        .where(where).order_by(Agreement.seq.desc()).limit(500)).tuples().all()
    return {"items": [agreement_view(a, o, p) for a, o, p in rows], "next_cursor": None}


def of_network(session: Session, network_id: str) -> dict[str, Any]:
    return _listing(session, Agreement.network_id == network_id)


def of_provider(session: Session, provider_id: str) -> dict[str, Any]:
    get_provider(session, provider_id)
    return _listing(session, Agreement.provider_id == provider_id)


def _in_force(today: date) -> Any:
    return (Agreement.status == "active",
            or_(Agreement.valid_from.is_(None), Agreement.valid_from <= today),
            or_(Agreement.valid_until.is_(None), Agreement.valid_until >= today))


# -- the public circuit ------------------------------------------------------------------------
def circuit(session: Session, network_id: str, category: str | None = None,
            today: date | None = None) -> dict[str, Any]:
    """The network's circuit as anyone may read it: its providers (approved by the
    operators and by the network) with their place, and the offerings agreed for the
    members' employees, with the agreed price. With a category, only the providers
    whose agreement covers it (as the platform's circuit filters), with their agreed
    offerings of that category (as the catalogue's search does)."""
    today = today or date.today()
    providers_query = (
        select(Provider).join(NetworkProvider, NetworkProvider.provider_id == Provider.id)
        .where(NetworkProvider.network_id == network_id, NetworkProvider.status == "approved",
               Provider.status == "approved").order_by(Provider.name, Provider.seq))
    offers_query = (
        select(Agreement, Offering).join(Offering, Offering.id == Agreement.offering_id)
        .where(Agreement.network_id == network_id, Offering.status == "active",
               *_in_force(today)).order_by(Offering.title))
    if category:
        providers_query = providers_query.where(offers_in(category))
        offers_query = offers_query.where(Offering.category == category)
    providers = session.scalars(providers_query).all()
    offers: dict[str, list[dict[str, Any]]] = {p.id: [] for p in providers}
    for a, o in session.execute(
            offers_query.where(Agreement.provider_id.in_(list(offers)))).tuples():
        offers[a.provider_id].append({
            "offering_id": o.id, "title": o.title, "category": o.category,
            "price_cents": o.price_cents, "discount_bps": a.discount_bps,
            "agreed_price_cents": agreed_price(o.price_cents, a.price_cents, a.discount_bps),
            "valid_until": a.valid_until.isoformat() if a.valid_until else None})
    return {"items": [{**{k: provider_view(p)[k] for k in PUBLIC}, "offers": offers[p.id]}
                      for p in providers], "next_cursor": None}


# -- which network a company is in (a copy), and its employees' offers ---------------------
def keep_company_network(session: Session, m: dict[str, Any], joined: bool,
                         as_of: datetime) -> None:
    row = session.get(CompanyNetwork, m["company_id"]) or CompanyNetwork(
        company_id=m["company_id"])
    if row.as_of is not None and aware(row.as_of) > as_of:
        return  # an older event changes nothing
    row.as_of = as_of
    row.network_id = m["network_id"] if joined else None
    row.network_name = m["network_name"] if joined else None
    session.merge(row)


def network_offers(session: Session, company_id: str | None, offering_ids: list[str],
                   today: date | None = None) -> dict[str, dict[str, Any]]:
    """For an employee of `company_id`: the offerings among these with their network's
    agreement in force today, as {offering id: the agreement's terms}."""
    if not company_id or not offering_ids:
        return {}
    member = session.get(CompanyNetwork, company_id)
    if member is None or member.network_id is None:
        return {}
    today = today or date.today()
    rows = session.execute(select(Agreement, Offering.price_cents)
                           .join(Offering, Offering.id == Agreement.offering_id)
                           .where(Agreement.network_id == member.network_id,
                                  Agreement.offering_id.in_(offering_ids), *_in_force(today))
                           ).tuples().all()
    return {a.offering_id: {
        "network_id": a.network_id, "network_name": member.network_name,
        "agreement_id": a.id, "discount_bps": a.discount_bps,
        "price_cents": agreed_price(price, a.price_cents, a.discount_bps)}
        for a, price in rows}
