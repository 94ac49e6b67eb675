"""Providers and offerings, as plain functions over a session."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from wecare_common.errors import Conflict, NotFound, RuleViolation
from wecare_common.outbox import record_event

from catalog.models import Offering, Provider

PRODUCER = "catalog"


def provider_view(p: Provider) -> dict[str, Any]:
    return {"id": p.id, "name": p.name, "vat_number": p.vat_number,
            "categories": p.categories, "address": p.address, "lat": p.lat, "lon": p.lon,
            "email": p.email, "status": p.status, "commission_bps": p.commission_bps,
            "agreement_start": p.agreement_start.isoformat() if p.agreement_start else None,
            "created_at": p.created_at.isoformat()}


def offering_view(o: Offering) -> dict[str, Any]:
    return {"id": o.id, "provider_id": o.provider_id, "title": o.title,
            "description": o.description, "category": o.category,
            "price_cents": o.price_cents, "status": o.status,
            "created_at": o.created_at.isoformat()}


def register_provider(session: Session, data: dict[str, Any]) -> dict[str, Any]:
    if session.scalar(select(Provider.id).where(Provider.vat_number == data["vat_number"])):
        raise Conflict("a provider with this VAT number has already applied",
                       {"vat_number": ["already registered"]})
    provider = Provider(id=str(uuid.uuid4()), status="pending",
                        created_at=datetime.now(UTC), **data)
    session.add(provider)
    session.flush()
    view = provider_view(provider)
    record_event(session, "provider.registered", view, producer=PRODUCER, company_id=None)
    return view


def get_provider(session: Session, provider_id: str) -> Provider:
    provider = session.scalar(select(Provider).where(Provider.id == provider_id))
    if provider is None:
        raise NotFound("no such provider", {"provider_id": ["unknown"]})
    return provider


def decide(session: Session, provider_id: str, data: dict[str, Any]) -> dict[str, Any]:
    """An admin approves (with the agreement's commission) or suspends a provider."""
    provider = get_provider(session, provider_id)
    if data["status"] == "approved":
        if data["commission_bps"] is None:
            raise RuleViolation("an approval states the commission (0 allowed)",
                                {"commission_bps": ["required to approve"]})
        provider.commission_bps = data["commission_bps"]
        provider.agreement_start = data["agreement_start"] or date.today()
        provider.stripe_account_id = data["stripe_account_id"] or provider.stripe_account_id
    provider.status = data["status"]
    view = provider_view(provider)
    # The wallet pays providers: it needs where to (internal event, not the public view).
    record_event(session, f"provider.{data['status']}", {
        **view, "iban": provider.iban, "stripe_account_id": provider.stripe_account_id,
    }, producer=PRODUCER, company_id=None)
    return view


def publish_offering(session: Session, provider_id: str, data: dict[str, Any]
                     ) -> dict[str, Any]:
    provider = get_provider(session, provider_id)
    if data["category"] not in provider.categories:
        raise RuleViolation("this provider's agreement does not cover that category",
                            {"category": [f"not one of {provider.categories}"]})
    offering = Offering(id=str(uuid.uuid4()), provider_id=provider_id, status="active",
                        created_at=datetime.now(UTC), **data)
    session.add(offering)
    session.flush()
    view = offering_view(offering)
    record_event(session, "offering.published", {
        **view, "provider_name": provider.name, "commission_bps": provider.commission_bps,
    }, producer=PRODUCER, company_id=None)
    return view


def search(session: Session, category: str | None, q: str | None, limit: int
           ) -> dict[str, Any]:
    query = (select(Offering).join(Provider, Provider.id == Offering.provider_id)
             .where(Provider.status == "approved", Offering.status == "active")
             .order_by(Offering.seq).limit(limit))
    if category:
        query = query.where(Offering.category == category)
    if q:
        query = query.where(Offering.title.ilike(f"%{q}%") | Offering.description.ilike(
            f"%{q}%"))
    return {"items": [offering_view(o) for o in session.scalars(query)], "next_cursor": None}
