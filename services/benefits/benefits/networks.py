"""Networks of firms and their members, as plain functions over a session
(docs/domain.md#networks).

A network (an association, a consortium, a network contract) is created by an
operator; it invites firms, and a firm joins when its HR manager accepts. A firm is
in one network at most at a time (the partial unique index `uq_memberships_one_network`
holds it even against two acceptances racing); it may leave. What the network sees of
a member is counted only from the day it joined to the day it left
(`membership_periods`): the firm's data before joining stays its own."""

from __future__ import annotations

import re
import unicodedata
import uuid
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from wecare_common.contract import events, refusals
from wecare_common.outbox import record_event

from benefits import domain
from benefits.models import Company, Membership, Network

PRODUCER = "benefits"
NETWORK_NAMESPACE = uuid.UUID("0b7d5c1e-4f2a-4c8e-9d3b-6a1e2f5c7b90")
MEMBERSHIP_NAMESPACE = uuid.UUID("a41c6e2b-8d5f-4b7a-9e3c-2f1d0b6a8c57")


def _now() -> datetime:
    return datetime.now(UTC)


def network_view(n: Network) -> dict[str, Any]:
    return {"id": n.id, "slug": n.slug, "name": n.name, "kind": n.kind, "tax_id": n.tax_id,
            "territory": {"provinces": list(n.provinces),
                          "municipalities": list(n.municipalities)},
            "created_at": n.created_at.isoformat()}


def public_view(n: Network) -> dict[str, Any]:
    """What anyone may read of a network: who it is and where it works."""
    view = network_view(n)
    return {k: view[k] for k in ("id", "slug", "name", "kind", "territory")}


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def membership_view(m: Membership, company: Company | None = None,
                    network: Network | None = None) -> dict[str, Any]:
    view: dict[str, Any] = {
        "id": m.id, "network_id": m.network_id, "company_id": m.company_id,
        "status": m.status, "municipality": m.municipality, "province": m.province,
        "invited_at": m.invited_at.isoformat(), "answered_at": _iso(m.answered_at),
        "joined_at": _iso(m.joined_at), "left_at": _iso(m.left_at)}
    if company is not None:  # the firm, as the network sees it: no person
        view["company_name"], view["vat_number"] = company.name, company.vat_number
    if network is not None:  # the network, as the firm sees it
        view["network"] = public_view(network)
    return view


def slug_of(name: str) -> str:
    """A name as a web address's last part: `CNA Cuneo – Alba` → `cna-cuneo-alba`."""
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", plain.lower()).strip("-")[:60] or "rete"


def _free_slug(session: Session, name: str) -> str:
    base = slug_of(name)
    taken = set(session.scalars(select(Network.slug).where(Network.slug.like(f"{base}%"))))
    if base not in taken:
        return base
    return next(f"{base}-{n}" for n in range(2, len(taken) + 3) if f"{base}-{n}" not in taken)


# -- networks -----------------------------------------------------------------------------
def create_network(session: Session, data: dict[str, Any],
                   idempotency_key: str | None = None) -> dict[str, Any]:
    """An operator's new network (its first staff member's account is the gateway's).
    Asked again with the sign-up's key, the same network."""
    network_id = (str(uuid.uuid5(NETWORK_NAMESPACE, idempotency_key)) if idempotency_key
                  else str(uuid.uuid4()))
    if idempotency_key and (known := session.scalar(
            select(Network).where(Network.id == network_id))):
        return network_view(known)
    if session.scalar(select(Network.id).where(Network.tax_id == data["tax_id"])):
        raise refusals.NETWORK_TAX_ID_TAKEN(field="tax_id")
    territory = data["territory"]
    network = Network(id=network_id, slug=_free_slug(session, data["name"]),
                      name=data["name"], kind=data["kind"], tax_id=data["tax_id"],
                      provinces=sorted(set(territory["provinces"])),
                      municipalities=list(dict.fromkeys(territory["municipalities"])),
                      created_at=_now())
    session.add(network)
    session.flush()
    return network_view(network)


def get_network(session: Session, network_id: str) -> Network:
    network = session.scalar(select(Network).where(Network.id == network_id))
    if network is None:
        raise refusals.NOT_FOUND(field="network_id")
    return network


def find_network(session: Session, slug: str) -> Network:
    network = session.scalar(select(Network).where(Network.slug == slug))
    if network is None:
        raise refusals.NOT_FOUND(field="slug")
    return network


def list_networks(session: Session, limit: int, cursor: str | None = None) -> dict[str, Any]:
    query = select(Network).order_by(Network.seq).limit(limit + 1)
    if cursor:
        query = query.where(Network.seq > int(cursor))
    rows = session.scalars(query).all()
    return {"items": [network_view(n) for n in rows[:limit]],
            "next_cursor": str(rows[limit - 1].seq) if len(rows) > limit else None}


# -- invitations ---------------------------------------------------------------------------
def _invite(session: Session, network: Network, company: Company, seat: dict[str, Any],
            membership_id: str | None = None) -> Membership:
    """The network's invitation to a firm; refused while the firm is in this network
    already or has its invitation pending. A firm in another network may be invited:
    it can join only once it has left (the answer says so)."""
    mine = session.scalars(select(Membership).where(
        Membership.network_id == network.id, Membership.company_id == company.id,
        Membership.status.in_(("invited", "active")))).all()
    for m in mine:
        if m.status == "active":
            raise refusals.ALREADY_A_MEMBER(field="vat_number")
        raise refusals.ALREADY_INVITED(field="vat_number")
    membership = Membership(id=membership_id or str(uuid.uuid4()), network_id=network.id,
                            company_id=company.id, status="invited",
                            municipality=seat["municipality"], province=seat["province"],
                            invited_at=_now())
    try:
        with session.begin_nested():
            session.add(membership)
            session.flush()
    except IntegrityError as exc:  # a twin invitation at the same moment
        raise refusals.ALREADY_INVITED(field="vat_number") from exc
    record_event(session, events.NETWORK_MEMBER_INVITED, {
        **membership_view(membership), "network_name": network.name,
        "company_name": company.name}, producer=PRODUCER, company_id=company.id)
    return membership


def invite_company(session: Session, network_id: str, data: dict[str, Any]
                   ) -> dict[str, Any]:
    """Invite a firm already in WeCare, named by its VAT number."""
    network = get_network(session, network_id)
    company = session.scalar(select(Company).where(Company.vat_number == data["vat_number"]))
    if company is None:
        raise refusals.COMPANY_NOT_IN_WECARE(field="vat_number")
    return membership_view(_invite(session, network, company, data), company)


def onboard_company(session: Session, network_id: str, data: dict[str, Any],
                    idempotency_key: str | None = None) -> dict[str, Any]:
    """A new firm brought in by the network: the company (its HR manager is invited by
    the gateway) and the network's invitation, in one transaction. Asked again with the
    sign-up's key, the same company and invitation."""
    network = get_network(session, network_id)
    company_data = {k: data[k] for k in ("name", "vat_number", "hr_manager")}
    view = domain.create_company(session, company_data, idempotency_key=idempotency_key)
    membership_id = (str(uuid.uuid5(MEMBERSHIP_NAMESPACE, idempotency_key))
                     if idempotency_key else None)
    if membership_id is None or session.scalar(
            select(Membership.id).where(Membership.id == membership_id)) is None:
        _invite(session, network, session.get_one(Company, view["id"]), data, membership_id)
    return view


def members(session: Session, network_id: str, status: str | None = None
            ) -> dict[str, Any]:
    """The network's firms (invited, members, past members), newest first."""
    get_network(session, network_id)
    query = (select(Membership, Company).join(Company, Company.id == Membership.company_id)
             .where(Membership.network_id == network_id).order_by(Membership.seq.desc()))
    if status:
        query = query.where(Membership.status == status)
    return {"items": [membership_view(m, c) for m, c in session.execute(query).tuples()],
            "next_cursor": None}


def withdraw_invitation(session: Session, network_id: str, membership_id: str
                        ) -> dict[str, Any]:
    membership = session.scalar(select(Membership).where(
        Membership.id == membership_id).with_for_update())
    if membership is None or membership.network_id != network_id:
        raise refusals.NOT_FOUND(field="membership_id")
    if membership.status != "invited":
        raise refusals.INVITATION_ANSWERED(state=membership.status, field="membership_id")
    membership.status, membership.answered_at = "withdrawn", _now()
    return membership_view(membership, session.get(Company, membership.company_id))


# -- the firm's side -----------------------------------------------------------------------
def company_network(session: Session, company_id: str) -> dict[str, Any]:
    """The firm's network (its membership, or None) and the invitations waiting for
    its answer."""
    domain.get_company(session, company_id)
    rows = session.execute(
        select(Membership, Network).join(Network, Network.id == Membership.network_id)
        .where(Membership.company_id == company_id,
               Membership.status.in_(("invited", "active")))
        .order_by(Membership.seq)).tuples().all()
    active = [membership_view(m, network=n) for m, n in rows if m.status == "active"]
    return {"membership": active[0] if active else None,
            "invitations": [membership_view(m, network=n) for m, n in rows
                            if m.status == "invited"]}


def network_of(session: Session, company_id: str) -> Network | None:
    """The network the firm is a member of now, if any."""
    return session.scalar(select(Network).join(
        Membership, Membership.network_id == Network.id).where(
        Membership.company_id == company_id, Membership.status == "active"))


def _membership_event(network: Network, m: Membership) -> dict[str, Any]:
    return {**membership_view(m), "network_name": network.name, "network_slug": network.slug}


def answer_invitation(session: Session, company_id: str, membership_id: str, accept: bool
                      ) -> dict[str, Any]:
    """The HR manager's answer. Joining is refused while the firm is in another
    network (it leaves that one first): one network at a time."""
    company = session.scalar(select(Company).where(Company.id == company_id)
                             .with_for_update())  # one answer of the firm at a time
    membership = session.scalar(select(Membership).where(Membership.id == membership_id)
                                .with_for_update())
    if company is None or membership is None or membership.company_id != company_id:
        raise refusals.NOT_FOUND(field="membership_id")
    if membership.status != "invited":
        raise refusals.INVITATION_ANSWERED(state=membership.status, field="membership_id")
    network = get_network(session, membership.network_id)
    now = _now()
    if not accept:
        membership.status, membership.answered_at = "declined", now
        return membership_view(membership, network=network)
    current = network_of(session, company_id)
    if current is not None:
        raise refusals.ONE_NETWORK_AT_A_TIME(field="membership_id")
    membership.status, membership.answered_at, membership.joined_at = "active", now, now
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # the unique index: another acceptance won
        raise refusals.ONE_NETWORK_AT_A_TIME(field="membership_id") from exc
    record_event(session, events.NETWORK_MEMBER_JOINED, _membership_event(network, membership),
                 producer=PRODUCER, company_id=company_id)
    return membership_view(membership, network=network)


def leave(session: Session, company_id: str) -> dict[str, Any]:
    """The firm leaves its network: from now on the network sees nothing new of it;
    its plans, money and people stay its own."""
    membership = session.scalar(select(Membership).where(
        Membership.company_id == company_id, Membership.status == "active")
        .with_for_update())
    if membership is None:
        raise refusals.NOT_A_MEMBER(field="company_id")
    network = get_network(session, membership.network_id)
    membership.status, membership.left_at = "left", _now()
    record_event(session, events.NETWORK_MEMBER_LEFT, _membership_event(network, membership),
                 producer=PRODUCER, company_id=company_id)
    return membership_view(membership, network=network)


def membership_periods(session: Session, network_id: str, start: datetime, end: datetime
                       ) -> list[dict[str, Any]]:
    """Each firm's time in the network within [start, end): when it joined (or
    `start`) to when it left (or `end`), with its name and seat. Only these moments
    are the network's to count."""
    rows = session.execute(
        select(Membership, Company).join(Company, Company.id == Membership.company_id)
        .where(Membership.network_id == network_id, Membership.joined_at.is_not(None),
               Membership.joined_at < end,
               (Membership.left_at.is_(None)) | (Membership.left_at > start))
        .order_by(Membership.seq)).tuples().all()
    return [{"company_id": c.id, "name": c.name, "municipality": m.municipality,
             "province": m.province, "current": m.status == "active",
             "joined_at": max(_aware(m.joined_at), start).isoformat(),
             "left_at": min(_aware(m.left_at), end).isoformat() if m.left_at else
             end.isoformat()} for m, c in rows]


def _aware(moment: datetime | None) -> datetime:
    assert moment is not None
    return moment if moment.tzinfo else moment.replace(tzinfo=UTC)
