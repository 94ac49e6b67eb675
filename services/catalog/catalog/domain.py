"""Providers and offerings, as plain functions over a session (docs/domain.md#providers)."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, String, cast, func, select, update
from sqlalchemy.orm import Session
from wecare_common import languages
from wecare_common.contract import events, periods, refusals
from wecare_common.outbox import record_event

from catalog.models import Offering, Proposal, Provider

PRODUCER = "catalog"


def provider_view(p: Provider) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "vat_number": p.vat_number,
            "categories": p.categories, "address": p.address, "city": p.city,
            "province": p.province, "lat": p.lat, "lon": p.lon,
            "email": p.email, "language": p.language, "status": p.status,
            "commission_bps": p.commission_bps,
            "agreement_start": p.agreement_start.isoformat() if p.agreement_start else None,
            "created_at": p.created_at.isoformat()}


def offering_view(o: Offering) -> dict[str, Any]:
    return {"id": o.id, "provider_id": o.provider_id, "title": o.title,
            "description": o.description, "category": o.category,
            "price_cents": o.price_cents, "delivery": o.delivery,
            "valid_from": o.valid_from.isoformat() if o.valid_from else None,
            "valid_until": o.valid_until.isoformat() if o.valid_until else None,
            "status": o.status, "created_at": o.created_at.isoformat()}


def offering_detail(session: Session, offering_id: str) -> dict[str, Any]:
    """An offering with where and who provides it (withdrawn ones too: a voucher
    bought before still names its offering)."""
    row = session.execute(select(Offering, Provider).join(
        Provider, Provider.id == Offering.provider_id).where(Offering.id == offering_id)).first()
    if row is None:
        raise refusals.OFFERING_UNAVAILABLE(field="offering_id")
    offering, provider = row
    return {**offering_view(offering), "provider_name": provider.name,
            "address": provider.address, "city": provider.city,
            "province": provider.province, "lat": provider.lat, "lon": provider.lon,
            "provider_status": provider.status}


def offerings_of(session: Session, provider_id: str) -> dict[str, Any]:
    """Every offering of one provider, withdrawn ones too, newest first."""
    get_provider(session, provider_id)
    rows = session.scalars(select(Offering).where(Offering.provider_id == provider_id)
                           .order_by(Offering.created_at.desc())).all()
    return {"items": [offering_view(o) for o in rows], "next_cursor": None}


# a provider applying through the gateway: its id follows from the sign-up's key
SIGNUP_NAMESPACE = uuid.UUID("5e0f2c7a-9b13-4d8e-a6c4-1f3b7d9e0a52")


def register_provider(session: Session, data: dict[str, Any],
                      idempotency_key: str | None = None) -> dict[str, Any]:
    """A provider's application; asked again with its key, the same application."""
    provider_id = (str(uuid.uuid5(SIGNUP_NAMESPACE, idempotency_key)) if idempotency_key
                   else str(uuid.uuid4()))
    if idempotency_key and (known := session.scalar(
            select(Provider).where(Provider.id == provider_id))):
        return provider_view(known)
    if session.scalar(select(Provider.id).where(Provider.vat_number == data["vat_number"])):
        raise refusals.PROVIDER_ALREADY_APPLIED(field="vat_number")
    provider = Provider(id=provider_id, status="pending", created_at=datetime.now(UTC),
                        **{**data, "language": data.get("language") or languages.DEFAULT})
    session.add(provider)
    session.flush()
    session.execute(update(Proposal).where(
        func.lower(Proposal.email) == data["email"].lower(), Proposal.status == "invited"
    ).values(status="applied", provider_id=provider.id))
    view = provider_view(provider)
    record_event(session, events.PROVIDER_REGISTERED, view, producer=PRODUCER, company_id=None)
    return view


def get_provider(session: Session, provider_id: str) -> Provider:
    provider = session.scalar(select(Provider).where(Provider.id == provider_id))
    if provider is None:
        raise refusals.PROVIDER_UNKNOWN(field="provider_id")
    return provider


def decide(session: Session, provider_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """An admin approves (with the agreement's commission) or suspends a provider."""
    provider = get_provider(session, provider_id)
    if data["status"] == "approved":
        if data["commission_bps"] is None:
            raise refusals.COMMISSION_REQUIRED(field="commission_bps")
        provider.commission_bps = data["commission_bps"]
        provider.agreement_start = data["agreement_start"] or date.today()
        provider.stripe_account_id = data["stripe_account_id"] or provider.stripe_account_id
    provider.status = data["status"]
    if provider.status == "approved":
        session.execute(update(Proposal).where(Proposal.provider_id == provider.id)
                        .values(status="approved"))
    view = provider_view(provider)
    # The wallet pays providers: it needs where to (internal event, not the public view).
    record_event(session, events.PROVIDER_STATUS_CHANGED[data["status"]], {
        **view, "iban": provider.iban, "stripe_account_id": provider.stripe_account_id,
    }, producer=PRODUCER, company_id=None)
    return view


def publish_offering(session: Session, provider_id: str, data: dict[str, Any]
                     ) -> dict[str, Any]:
    provider = get_provider(session, provider_id)
    if data["category"] not in provider.categories:
        raise refusals.CATEGORY_NOT_IN_AGREEMENT(category=data["category"],
                                                 agreed=provider.categories, field="category")
    offering = Offering(id=str(uuid.uuid4()), provider_id=provider_id, status="active",
                        created_at=datetime.now(UTC), **data)
    session.add(offering)
    session.flush()
    return _announce(session, offering, provider)


def _announce(session: Session, offering: Offering, provider: Provider) -> dict[str, Any]:
    """Tell the wallet (and anyone) what a voucher for this offering costs and covers."""
    view = offering_view(offering)
    kind = events.OFFERING_PUBLISHED if offering.status == "active" else (
        events.OFFERING_WITHDRAWN)
    record_event(session, kind, {
        **view, "provider_name": provider.name, "commission_bps": provider.commission_bps,
    }, producer=PRODUCER, company_id=None)
    return view


def _own_offering(session: Session, provider_id: str, offering_id: str) -> Offering:
    offering = session.scalar(select(Offering).where(Offering.id == offering_id)
                              .with_for_update())
    if offering is None or offering.provider_id != provider_id:
        raise refusals.OFFERING_UNAVAILABLE(field="offering_id")
    return offering


def update_offering(session: Session, provider_id: str, offering_id: str,
                    changes: dict[str, Any]) -> dict[str, Any]:
    offering = _own_offering(session, provider_id, offering_id)
    if offering.status != "active":
        raise refusals.OFFERING_WITHDRAWN(field="offering_id")
    for field, value in changes.items():
        setattr(offering, field, value)
    if periods.out_of_order(offering.valid_from, offering.valid_until):
        raise refusals.ENDS_BEFORE_START(field=periods.FIELD)
    return _announce(session, offering, get_provider(session, provider_id))


def withdraw_offering(session: Session, provider_id: str, offering_id: str) -> dict[str, Any]:
    offering = _own_offering(session, provider_id, offering_id)
    if offering.status == "withdrawn":
        raise refusals.OFFERING_WITHDRAWN(field="offering_id")
    offering.status = "withdrawn"
    return _announce(session, offering, get_provider(session, provider_id))


def offers_in(category: str) -> ColumnElement[bool]:
    """A provider whose agreement covers this category (the circuit's lists filter by
    it in their query, not on the page: a page filtered after its limit came back
    short, and its cursor ended the list before the last providers). Categories are
    a JSON list of names, each in quotes, on both databases."""
    return cast(Provider.categories, String).contains(f'"{category}"', autoescape=True)


def circuit(session: Session, province: str | None, category: str | None, limit: int,
            cursor: str | None) -> dict[str, Any]:
    """The published list of the circuit: approved providers, by province and category."""
    query = (select(Provider).where(Provider.status == "approved")
             .order_by(Provider.seq).limit(limit + 1))
    if province:
        query = query.where(Provider.province == province)
    if cursor:
        query = query.where(Provider.seq > int(cursor))
    if category:
        query = query.where(offers_in(category))
    rows = session.scalars(query).all()
    public = ("id", "name", "categories", "address", "city", "province", "lat", "lon")
    return {"items": [{k: provider_view(p)[k] for k in public} for p in rows[:limit]],
            "next_cursor": str(rows[limit - 1].seq) if len(rows) > limit else None}


def providers(session: Session, status: str, limit: int, cursor: str | None
              ) -> dict[str, Any]:
    """Providers in one state, oldest first, for an operator: applications waiting
    (`pending`), the circuit (`approved`), or those `suspended`."""
    query = (select(Provider).where(Provider.status == status)
             .order_by(Provider.seq).limit(limit + 1))
    if cursor:
        query = query.where(Provider.seq > int(cursor))
    rows = session.scalars(query).all()
    return {"items": [provider_view(p) for p in rows[:limit]],
            "next_cursor": str(rows[limit - 1].seq) if len(rows) > limit else None}


# An address proposed within this long is not invited again, however many employees
# propose it: proposals cannot make WeCare write to an address again and again (the
# gateway also limits each employee's proposals per day).
INVITED_ONCE_IN = timedelta(days=30)


def propose(session: Session, employee_id: str, company_id: str | None,
            data: dict[str, Any]) -> dict[str, Any]:
    """An employee proposes a provider they use; the platform invites it, unless it
    knows the address already or invited it lately."""
    now = datetime.now(UTC)
    proposal = Proposal(id=str(uuid.uuid4()), employee_id=employee_id, company_id=company_id,
                        status="invited", created_at=now, **data)
    email = data["email"].lower()
    known = session.scalar(select(Provider).where(func.lower(Provider.email) == email))
    if known is not None:
        proposal.provider_id = known.id
        proposal.status = "approved" if known.status == "approved" else "applied"
    invited_lately = known is None and session.scalar(select(Proposal.id).where(
        func.lower(Proposal.email) == email, Proposal.status == "invited",
        Proposal.created_at >= now - INVITED_ONCE_IN).limit(1)) is not None
    session.add(proposal)
    session.flush()
    view = proposal_view(proposal)
    if proposal.status == "invited" and not invited_lately:
        record_event(session, events.PROVIDER_PROPOSED, {**view, "email": proposal.email},
                     producer=PRODUCER, company_id=company_id)
    return view


def proposal_view(p: Proposal) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "city": p.city, "category": p.category,
            "status": p.status, "provider_id": p.provider_id,
            "created_at": p.created_at.isoformat()}


def proposals_of(session: Session, employee_id: str) -> dict[str, Any]:
    rows = session.scalars(select(Proposal).where(Proposal.employee_id == employee_id)
                           .order_by(Proposal.seq.desc()).limit(100))
    return {"items": [proposal_view(p) for p in rows], "next_cursor": None}
