"""Vouchers (docs/domain.md#vouchers, DM 25 March 2016 art. 6): nominative, one good or
service at its full face value, paid from one plan's credit, never cash."""

from __future__ import annotations

import hashlib
import io
import json
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import segno
from sqlalchemy import bindparam, insert, literal_column, or_, select, text
from sqlalchemy.orm import Session
from wecare_common import metrics, signed_vouchers
from wecare_common.contract import events, refusals
from wecare_common.db import aware
from wecare_common.errors import InsufficientFunds, NotFound
from wecare_common.events import make_envelope
from wecare_common.money import agreed_price
from wecare_common.outbox import mark_outbox_pending, message_headers, record_event
from wecare_common.rpc import ServiceUnavailable

from wallet import expiry, ledger
from wallet.codes import new_code, normalize
from wallet.commission import commission_of
from wallet.fringe import FRINGE, give_back_fringe_room, take_fringe_room
from wallet.ledger import Leg
from wallet.models import (
    Account,
    Agreement,
    Employee,
    NetworkMember,
    Offering,
    OfflineLimits,
    Plan,
    Provider,
    RedemptionRefusal,
    Voucher,
)

PRODUCER = "wallet"
OFFLINE_DEFAULT_HOURS = 48  # wallet.offline.DEFAULTS["hours"] (which imports this module)


def qr_png(code: str) -> bytes:
    """The voucher code as a QR image (PNG), for screens and emails."""
    out = io.BytesIO()
    segno.make(code, error="m").save(out, kind="png", scale=6)
    return out.getvalue()


def last_day(expires_at: datetime) -> date:
    """A voucher's last valid day: it expires at the end of it (`_end_of`)."""
    return (aware(expires_at) - timedelta(microseconds=1)).date()


def signed(v: Voucher, now: datetime | None = None) -> str | None:
    """The QR text of an issued voucher, signed with the key that signs now
    (docs/offline.md); None once it is no longer issued (nothing to show at a counter)."""
    if v.status != "issued":
        return None
    key = signed_vouchers.signing_key(signed_vouchers.configured_keys(),
                                      now or datetime.now(UTC))
    return signed_vouchers.sign(key, code=v.code, provider_id=v.provider_id,
                                amount_cents=v.amount_cents, category=v.category,
                                last_day=last_day(v.expires_at))


def voucher_view(v: Voucher) -> dict[str, Any]:
    view = {
        "id": v.id, "code": v.code, "employee_id": v.employee_id, "plan_id": v.plan_id,
        "offering_id": v.offering_id, "provider_id": v.provider_id, "title": v.title,
        "category": v.category, "amount_cents": v.amount_cents, "status": v.status,
        "expires_at": v.expires_at.isoformat(), "created_at": v.created_at.isoformat(),
        "redeemed_at": v.redeemed_at.isoformat() if v.redeemed_at else None,
        "list_price_cents": v.list_price_cents, "agreement_id": v.agreement_id,
        "signed": signed(v),
        # docs/offline.md: accepted by a provider's phone without a network; a
        # cancellation waiting for the offline window, or refused by such an acceptance
        "accepted_offline_at": _moment(v.accepted_offline_at),
        "cancel_takes_effect_at": _moment(v.cancel_takes_effect_at),
        "cancellation_refused": v.cancellation_refused,
    }
    return view


def _moment(value: datetime | None) -> str | None:
    return aware(value).isoformat() if value is not None else None


def _request_hash(employee_id: str, offering_id: str, plan_id: str | None) -> str:
    return hashlib.sha256(f"{employee_id}|{offering_id}|{plan_id or ''}".encode()).hexdigest()


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time.min, tzinfo=UTC)


def eligible_plans(session: Session, employee_id: str, category: str, today: date,
                   plan_id: str | None) -> list[tuple[Plan, int]]:
    """The employee's plans that cover `category` today, ending soonest first."""
    rows = session.execute(
        select(Plan, Account.balance_cents).join(Account, Account.plan_id == Plan.id)
        .where(Account.owner_id == employee_id, Account.kind == "employee")
        .order_by(Plan.valid_until, Plan.id)
    ).all()
    return _eligible([(p, b) for p, b in rows], category, today, plan_id)


def _eligible(rows: list[tuple[Any, int]], category: str, today: date,
              plan_id: str | None) -> list[tuple[Any, int]]:
    """Of the employee's plans with their balances (ending soonest first), those that
    cover `category` today; a refusal says why none does."""
    if plan_id is not None:
        rows = [r for r in rows if r[0].id == plan_id]
        if not rows:
            raise refusals.PLAN_NOT_YOURS(field="plan_id")
        plan = rows[0][0]
        if not plan.valid_from <= today <= plan.valid_until:
            raise refusals.PLAN_NOT_VALID_TODAY(valid_from=plan.valid_from,
                                                valid_until=plan.valid_until, field="plan_id")
        if category not in plan.categories:
            raise refusals.PLAN_DOES_NOT_COVER(category=category, covered=plan.categories,
                                               field="plan_id")
    eligible = [(p, b) for p, b in rows
                if category in p.categories and p.valid_from <= today <= p.valid_until]
    if not eligible:
        raise refusals.CATEGORY_NOT_IN_PLAN(category=category, field="offering_id")
    return eligible


def ask_catalog(catalog: Any, offering_id: str) -> dict[str, Any]:
    """The catalog's own answer for an offering and its provider (an RPC proxy's calls;
    the catalog's NotFound for an unknown offering goes to the caller as it is)."""
    offering = catalog.offering_detail(offering_id)
    return {"offering": offering, "provider": catalog.get_provider(offering["provider_id"])}


def _from_catalog(answer: dict[str, Any]) -> tuple[Offering, Provider]:
    """The catalog's answer as the copies' shape, for this purchase only: the copies
    themselves follow the events (which carry more, e.g. the provider's IBAN)."""
    o, p = answer["offering"], answer["provider"]
    return (Offering(id=o["id"], provider_id=o["provider_id"], title=o["title"],
                     category=o["category"], price_cents=o["price_cents"],
                     active=o.get("status") == "active"),
            Provider(id=p["id"], name=p["name"], status=p["status"],
                     commission_bps=p.get("commission_bps") or 0))


@dataclass(frozen=True)
class _PlanRow:
    id: str
    valid_from: date
    valid_until: date
    categories: list[str]


# Everything a purchase reads, in one round trip: a voucher already bought with the
# key (a retry), the offering and its provider, the employee, the agreement on the
# offering's price of the network the employee's company is in (if any, valid today),
# and the employee's plans with their balances (one row each, ending soonest first;
# one row of NULLs for none). Built once: SQLAlchemy then reuses its compiled form
# (building a statement per call cost more than running it).
_o, _p, _e, _a, _pl, _v = (Offering.__table__, Provider.__table__, Employee.__table__,
                           Account.__table__.alias("a"), Plan.__table__, Voucher.__table__)
_nm, _ag, _agreed = (NetworkMember.__table__, Agreement.__table__.alias("ag"),
                     Agreement.__table__.alias("agreed"))
_AGREEMENT_TODAY = (
    select(_ag.c.id).where(
        _ag.c.network_id == _nm.c.network_id, _ag.c.offering_id == bindparam("offering"),
        _ag.c.active, or_(_ag.c.valid_from.is_(None), _ag.c.valid_from <= bindparam("today")),
        or_(_ag.c.valid_until.is_(None), _ag.c.valid_until >= bindparam("today")))
    .order_by(_ag.c.as_of.desc(), _ag.c.id).limit(1).correlate(_nm).scalar_subquery())
_PURCHASE_READ = (
    select(
        select(_v.c.id).where(_v.c.idempotency_key == bindparam("key"))
        .scalar_subquery().label("replay_id"),
        _o.c.id.label("offering_id"), _o.c.provider_id, _o.c.title, _o.c.category,
        _o.c.price_cents, _o.c.active, _p.c.name.label("provider_name"),
        _p.c.status.label("provider_status"), _p.c.commission_bps,
        _e.c.company_id, _e.c.left_on, _agreed.c.id.label("agreement_id"),
        _agreed.c.price_cents.label("agreed_price_cents"),
        _agreed.c.discount_bps.label("agreed_discount_bps"),
        _pl.c.id.label("plan_id"), _pl.c.valid_from, _pl.c.valid_until,
        _pl.c.categories, _a.c.balance_cents)
    .select_from(
        select(literal_column("1").label("one")).subquery("one")
        .outerjoin(_o, _o.c.id == bindparam("offering"))
        .outerjoin(_p, _p.c.id == _o.c.provider_id)
        .outerjoin(_e, _e.c.id == bindparam("employee"))
        .outerjoin(_nm, _nm.c.company_id == _e.c.company_id)
        .outerjoin(_agreed, _agreed.c.id == _AGREEMENT_TODAY)
        .outerjoin(_a.join(_pl, _pl.c.id == _a.c.plan_id),
                   (_a.c.owner_id == bindparam("employee")) & (_a.c.kind == "employee")))
    .order_by(_pl.c.valid_until, _pl.c.id))


def purchase(session: Session, *, employee_id: str, offering_id: str, plan_id: str | None,
             idempotency_key: str, fringe_limit: Callable[[str, int], int],
             today: date | None = None,
             ask_catalog: Callable[[str], dict[str, Any]] | None = None,
             catalogue: dict[str, Any] | None = None,
             expected_price_cents: int | None = None) -> dict[str, Any]:
    """Buy a voucher for an offering at its full price from one plan's credit.

    The wallet's copy of the catalogue follows the catalog's events and may lag: when
    it does not know the offering (or has it withdrawn, or its provider not in the
    circuit), `ask_catalog(offering_id)` asks the catalog, outside any transaction, and
    the purchase goes by the catalog's answer (`catalogue`).

    On PostgreSQL a purchase is three round trips: one read, one write (`_issue_pg`)
    and the commit."""
    today = today or date.today()
    digest = _request_hash(employee_id, offering_id, plan_id)
    rows = session.execute(_PURCHASE_READ, {"key": idempotency_key, "offering": offering_id,
                                            "employee": employee_id, "today": today}).all()
    first = rows[0]
    if first.replay_id is not None:
        existing = session.scalars(select(Voucher).where(Voucher.id == first.replay_id)).one()
        if existing.request_hash != digest:
            raise refusals.IDEMPOTENCY_CONFLICT(field="idempotency_key")
        return voucher_view(existing)
    if first.left_on is not None:  # gone: their credit went back to the company
        raise refusals.EMPLOYEE_LEFT(left_on=first.left_on, field="offering_id")
    offering = provider = None
    if first.offering_id is not None:
        offering = Offering(id=first.offering_id, provider_id=first.provider_id,
                            title=first.title, category=first.category,
                            price_cents=first.price_cents, active=first.active)
    if first.provider_status is not None:
        provider = Provider(id=first.provider_id, name=first.provider_name,
                            status=first.provider_status, commission_bps=first.commission_bps)
    company_id = first.company_id
    lagging = (offering is None or not offering.active or provider is None
               or provider.status != "approved")
    if lagging and ask_catalog is not None:
        session.rollback()  # only reads so far: no transaction stays open over the call
        return purchase(session, employee_id=employee_id, offering_id=offering_id,
                        plan_id=plan_id, idempotency_key=idempotency_key,
                        fringe_limit=fringe_limit, today=today,
                        catalogue=ask_catalog(offering_id),
                        expected_price_cents=expected_price_cents)
    if lagging and catalogue is not None:
        offering, provider = _from_catalog(catalogue)
    if offering is None or not offering.active:
        raise refusals.OFFERING_UNAVAILABLE(field="offering_id")
    if provider is None or provider.status != "approved":
        raise refusals.PROVIDER_OUT_OF_CIRCUIT(field="offering_id")
    if company_id is None:
        raise refusals.NO_WALLET_YET()
    plans = [(_PlanRow(r.plan_id, r.valid_from, r.valid_until, r.categories), r.balance_cents)
             for r in rows if r.plan_id is not None]
    # the price: the network's agreed price when the employee's company is in a network
    # with an agreement on this offering valid today, else the offering's own
    price, agreement_id = offering.price_cents, first.agreement_id
    if agreement_id is not None:
        price = agreed_price(offering.price_cents, first.agreed_price_cents,
                             first.agreed_discount_bps)
    if expected_price_cents is not None and expected_price_cents != price:
        # never a price other than the one the buyer saw (a price changed, an agreement
        # began or ended, a copy still catching up): nothing moves, they look again
        raise refusals.PRICE_CHANGED(price_cents=price, field="expected_price_cents")
    eligible = _eligible(plans, offering.category, today, plan_id)
    funded = [(p, b) for p, b in eligible if b >= price]
    plan = (funded or eligible)[0][0]  # the plan that ends first, among those that can pay
    if offering.category == FRINGE:
        take_fringe_room(session, employee_id, today.year, price, fringe_limit)
    voucher_id = str(uuid.uuid4())
    credit = ledger.credit_account(employee_id, plan.id)
    legs = ledger.transfer(
        Leg(credit, 0),
        [Leg(ledger.voucher_account(voucher_id), price, company_id=company_id,
             owner_id=employee_id, plan_id=plan.id)])
    memo = {"voucher_id": voucher_id, "plan_id": plan.id, "offering_id": offering.id}
    if agreement_id is not None:
        memo |= {"agreement_id": agreement_id, "list_price_cents": offering.price_cents}
    ledger_key = f"voucher:{employee_id}:{idempotency_key}"
    row = dict(
        id=voucher_id, code=new_code(), employee_id=employee_id,
        company_id=company_id, plan_id=plan.id, offering_id=offering.id,
        provider_id=offering.provider_id, title=offering.title, category=offering.category,
        amount_cents=price, commission_bps=provider.commission_bps,
        status="issued", idempotency_key=idempotency_key, request_hash=digest,
        expires_at=_end_of(plan.valid_until), created_at=datetime.now(UTC),
        list_price_cents=offering.price_cents if agreement_id else None,
        agreement_id=agreement_id)
    issue = Issue(legs=legs, memo=memo, ledger_key=ledger_key, voucher=row,
                  event={**voucher_view(Voucher(**row)), "provider_name": provider.name})
    issued = metrics.child(metrics.VOUCHERS_ISSUED, offering.category)
    if funded and session.get_bind().dialect.name == "postgresql" and _issue_pg(session, issue):
        metrics.on_commit(session, issued)
        return issue.view
    try:  # the general way: any database, and the refusal's reasons under the row lock
        _issue_anywhere(session, issue)
    except InsufficientFunds as exc:
        raise refusals.NOT_ENOUGH_CREDIT(
            needed_cents=price, available_cents=max(b for _, b in eligible),
            field="offering_id") from exc
    metrics.on_commit(session, issued)
    return issue.view


PURCHASE = "voucher_purchase"

# The purchase's writes as one statement (PostgreSQL runs a WITH's data-modifying
# parts together, and checks the foreign keys at its end): the plan's credit is
# debited only if it holds the price (the row stays locked to commit; a racing
# purchase waits, then finds the new balance), and only then are the voucher's
# account (holding the price), the ledger transaction with its two postings, the
# voucher and its `voucher.issued` event written. The same rows as ledger.post and
# record_event write, in one round trip instead of eight.
# What a voucher row holds when issued: the one list both ways write (the general way
# inserts the row as it is; the statement below names these columns).
ISSUED_COLUMNS = ("id", "code", "employee_id", "company_id", "plan_id", "offering_id",
                  "provider_id", "title", "category", "amount_cents", "commission_bps", "status",
                  "idempotency_key", "request_hash", "expires_at", "created_at",
                  "list_price_cents", "agreement_id")
_ISSUE_PG = text("""
WITH debit AS (
  UPDATE accounts SET balance_cents = balance_cents - :amount
  WHERE id = :credit AND balance_cents >= :amount RETURNING id
), held AS (
  INSERT INTO accounts (id, kind, company_id, owner_id, plan_id, may_go_negative,
                        balance_cents)
  SELECT :held, 'voucher', :company_id, :employee_id, :plan_id, false, :amount FROM debit
  RETURNING id
), tx AS (
  INSERT INTO ledger_transactions (id, kind, idempotency_key, content_hash, company_id,
                                   memo, created_at)
  SELECT :tx, :kind, :ledger_key, :content_hash, :company_id, CAST(:memo AS json),
         :created_at FROM debit
  RETURNING id
), legs AS (
  INSERT INTO postings (transaction_id, account_id, amount_cents)
  SELECT tx.id, leg.account_id, leg.amount_cents FROM tx,
    (VALUES (CAST(:credit AS varchar), -CAST(:amount AS bigint)),
            (CAST(:held AS varchar), CAST(:amount AS bigint))) AS leg(account_id, amount_cents)
  RETURNING 1
), voucher AS (
  INSERT INTO vouchers ({columns})
  SELECT {values} FROM debit
  RETURNING 1
), event AS (
  INSERT INTO outbox (event_id, event_type, envelope, created_at, headers)
  SELECT :event_id, 'voucher.issued', CAST(:envelope AS json), :created_at,
         CAST(:headers AS json) FROM debit
  RETURNING 1
)
SELECT (SELECT count(*) FROM debit) + (SELECT count(*) FROM legs)
       + (SELECT count(*) FROM voucher) + (SELECT count(*) FROM event)""".format(
    columns=", ".join(ISSUED_COLUMNS), values=", ".join(f":v_{c}" for c in ISSUED_COLUMNS)))


@dataclass(frozen=True)
class Issue:
    """What a purchase writes, whichever way it is written: the ledger's transfer from
    the plan's credit to the voucher's account (`legs`, `memo`, under `ledger_key`),
    the voucher's row (every one of ISSUED_COLUMNS) and its `voucher.issued` event.
    tests/test_purchase_writes.py writes one each way and compares the rows."""

    legs: list[Leg]
    memo: dict[str, Any]
    ledger_key: str
    voucher: dict[str, Any]
    event: dict[str, Any]

    def __post_init__(self) -> None:
        if set(self.voucher) != set(ISSUED_COLUMNS):
            raise ValueError(f"a voucher row has {sorted(set(self.voucher) ^ set(ISSUED_COLUMNS))}"
                             " beside ISSUED_COLUMNS")

    @property
    def view(self) -> dict[str, Any]:
        return {k: v for k, v in self.event.items() if k != "provider_name"}


def _issue_anywhere(session: Session, issue: Issue) -> None:
    """The general way, on any database: ledger.post under row locks (which refuses
    with InsufficientFunds), the row, the event."""
    ledger.post(session, kind=PURCHASE, idempotency_key=issue.ledger_key,
                company_id=issue.voucher["company_id"], legs=issue.legs, memo=issue.memo,
                # no voucher has this key (looked up before), so no transfer has it
                fresh=True)
    # written with one Core statement (the ORM's unit of work is not needed for a
    # row nothing else touches in this transaction)
    session.execute(insert(Voucher.__table__).values(issue.voucher))
    record_event(session, events.VOUCHER_ISSUED, issue.event, producer=PRODUCER,
                 company_id=issue.voucher["company_id"])


def _issue_pg(session: Session, issue: Issue) -> bool:
    """The purchase's writes in one statement (`_ISSUE_PG`); False, with nothing
    written, when the plan's credit no longer holds the price (a racing purchase took
    it): the caller goes the general way, which says so under the row lock."""
    debit, held = issue.legs
    voucher = issue.voucher
    envelope = make_envelope(events.VOUCHER_ISSUED, issue.event, producer=PRODUCER,
                             company_id=voucher["company_id"])
    written = session.execute(_ISSUE_PG, {
        **{f"v_{c}": voucher[c] for c in ISSUED_COLUMNS},
        "amount": held.amount_cents, "credit": debit.account_id, "held": held.account_id,
        "company_id": voucher["company_id"], "employee_id": voucher["employee_id"],
        "plan_id": voucher["plan_id"], "tx": str(uuid.uuid4()), "kind": PURCHASE,
        "ledger_key": issue.ledger_key,
        "content_hash": ledger.content_hash(PURCHASE, issue.legs, issue.memo),
        "memo": json.dumps(issue.memo), "created_at": voucher["created_at"],
        "event_id": envelope["id"], "envelope": json.dumps(envelope),
        "headers": json.dumps(headers) if (headers := message_headers()) else None,
    }).scalar()
    if not written:
        return False
    assert written == 5, f"a purchase wrote {written} of its 5 rows"  # noqa: S101
    mark_outbox_pending(session)
    return True


def _locked(session: Session, **where: Any) -> Voucher | None:
    query = select(Voucher).with_for_update()
    for column, value in where.items():
        query = query.where(getattr(Voucher, column) == value)
    return session.scalar(query)


def circuit_status(catalog: Any, provider_id: str) -> str | None:
    """The provider's status as the catalog says it now (the wallet's copy follows its
    events and may lag behind a suspension); None when the catalog is out of reach."""
    try:
        return str(catalog.get_provider(provider_id)["status"])
    except NotFound:
        return "unknown"
    except ServiceUnavailable:
        return None


def refuse_outside_the_circuit(session: Session, provider_id: str, status: str | None,
                               now: datetime | None = None) -> None:
    """The same as a redemption's check, for what a phone sends (docs/offline.md)."""
    _refuse_outside_the_circuit(session, provider_id, None, status, now or datetime.now(UTC))


def _refuse_outside_the_circuit(session: Session, provider_id: str, canonical: str | None,
                                status: str | None, now: datetime) -> None:
    """A provider not in the circuit (suspended) redeems nothing. `status` is the
    catalog's answer now, or None when it could not be asked: then the copy decides,
    and with no copy either nothing is redeemed until the catalog answers. A refusal is
    recorded (for the operators' console): the caller commits it before raising."""
    if status is None:
        copy = session.get(Provider, provider_id)
        if copy is None:
            raise ServiceUnavailable("the catalog cannot say now whether this provider is "
                                     "in the circuit; try again in a moment")
        status = copy.status
    if status == "approved":
        return
    voucher_id = session.scalar(select(Voucher.id).where(
        Voucher.code == canonical, Voucher.provider_id == provider_id)) if canonical else None
    session.add(RedemptionRefusal(provider_id=provider_id, voucher_id=voucher_id,
                                  reason=status[:20], refused_at=now))
    raise refusals.PROVIDER_NOT_IN_CIRCUIT(provider_status=status, field="code")


def code_of(typed: str) -> str | None:
    """The canonical code of what the provider typed or scanned: a code, or a voucher's
    signed QR text (checked: a forged or altered one is refused; online, the wallet
    itself knows whether the voucher is still good, so an old key is no reason)."""
    if not signed_vouchers.looks_signed(typed):
        return normalize(typed)
    try:
        payload = signed_vouchers.verify(typed, signed_vouchers.configured_keys())
    except signed_vouchers.BadSignature:
        raise refusals.VOUCHER_SIGNATURE_INVALID(field="code") from None
    return normalize(payload["v"])


def redeem(session: Session, *, provider_id: str, code: str, now: datetime | None = None,
           provider_status: str | None = None) -> dict[str, Any]:
    """The provider takes the voucher: once, only the provider it is for, and only
    while it is in the circuit (`provider_status`: the catalog's answer now, or None
    when the catalog was out of reach and the wallet's copy decides)."""
    now = now or datetime.now(UTC)
    canonical = code_of(code)
    _refuse_outside_the_circuit(session, provider_id, canonical, provider_status, now)
    voucher = _locked(session, code=canonical) if canonical else None
    if voucher is None:
        raise refusals.VOUCHER_UNKNOWN(field="code")
    if voucher.provider_id != provider_id:
        # 80-bit codes cannot be guessed, so saying so tells a thief nothing, and
        # tells the counter to send the customer to the right provider
        raise refusals.VOUCHER_FOR_ANOTHER_PROVIDER(field="code")
    if voucher.status == "redeemed":
        raise refusals.VOUCHER_ALREADY_REDEEMED(
            redeemed_at=aware(voucher.redeemed_at) if voucher.redeemed_at else None,
            field="code")
    if voucher.status != "issued":
        raise refusals.VOUCHER_NOT_ACTIVE(status=voucher.status, field="code")
    if aware(voucher.expires_at) < now:  # SQLite reads timestamps back naive (UTC)
        raise refusals.VOUCHER_EXPIRED(field="code")
    pay(session, voucher, provider_id, now)
    return voucher_view(voucher)


def pay(session: Session, voucher: Voucher, provider_id: str, when: datetime) -> None:
    """The voucher's money to the provider (less the commission), once: the ledger
    transfer is keyed by the voucher, online or offline (docs/offline.md)."""
    commission = commission_of(voucher.amount_cents, voucher.commission_bps)
    legs = [Leg(ledger.voucher_account(voucher.id), -voucher.amount_cents),
            Leg(ledger.payable_account(provider_id), voucher.amount_cents - commission,
                owner_id=provider_id)]
    if commission:
        legs.append(Leg(ledger.PLATFORM_COMMISSION, commission))
    ledger.post(session, kind="redemption", idempotency_key=f"redeem:{voucher.id}",
                company_id=voucher.company_id, legs=legs,
                memo={"voucher_id": voucher.id, "provider_id": provider_id,
                      "commission_cents": commission})
    voucher.status = "redeemed"
    voucher.redeemed_at = when
    record_event(session, events.VOUCHER_REDEEMED, {
        **voucher_view(voucher), "commission_cents": commission,
        "provider_amount_cents": voucher.amount_cents - commission,
    }, producer=PRODUCER, company_id=voucher.company_id)
    metrics.on_commit(session, metrics.VOUCHERS_REDEEMED.labels(voucher.category))


def _give_back(session: Session, voucher: Voucher, status: str) -> None:
    """Return a voucher's hold to the plan credit it came from (to the company fund
    once the employee has left: expiry.credit_given_back)."""
    ledger.post(session, kind=f"voucher_{status}", idempotency_key=f"{status}:{voucher.id}",
                company_id=voucher.company_id,
                legs=ledger.transfer(Leg(ledger.voucher_account(voucher.id), 0), [
                    expiry.credit_given_back(
                        session, employee_id=voucher.employee_id, plan_id=voucher.plan_id,
                        company_id=voucher.company_id, amount_cents=voucher.amount_cents)]),
                memo={"voucher_id": voucher.id, "plan_id": voucher.plan_id})
    if voucher.category == FRINGE:
        give_back_fringe_room(session, voucher.employee_id, voucher.created_at.year,
                              voucher.amount_cents)
    voucher.status = status
    record_event(session, events.VOUCHER_GIVEN_BACK[status], voucher_view(voucher),
                 producer=PRODUCER, company_id=voucher.company_id)
    metrics.on_commit(session, metrics.VOUCHERS_CANCELLED.labels(voucher.category, status))


def cancel(session: Session, *, employee_id: str, voucher_id: str,
           offline_window: Callable[[Voucher], int] | None = None,
           now: datetime | None = None) -> dict[str, Any]:
    """The employee takes the voucher back. While a provider's phone could have accepted
    it without a network (`offline_window(voucher)`: the hours it may wait to be sent, 0
    when it could not be accepted offline) the cancellation takes effect only after that
    window (`cancelling`), so an acceptance sent meanwhile is paid (docs/offline.md)."""
    now = now or datetime.now(UTC)
    voucher = _locked(session, id=voucher_id)
    if voucher is None or voucher.employee_id != employee_id:
        raise refusals.VOUCHER_NOT_YOURS(field="voucher_id")
    if voucher.status == "cancelling" and voucher.cancel_takes_effect_at is not None:
        raise refusals.VOUCHER_CANCELLATION_PENDING(
            takes_effect_at=aware(voucher.cancel_takes_effect_at), field="voucher_id")
    if voucher.status != "issued":
        raise refusals.VOUCHER_NOT_ACTIVE(status=voucher.status, field="voucher_id")
    hours = offline_window(voucher) if offline_window is not None else 0
    if hours > 0:
        voucher.status = "cancelling"
        voucher.cancel_requested_at = now
        voucher.cancel_takes_effect_at = now + timedelta(hours=hours)
        return voucher_view(voucher)
    _give_back(session, voucher, "cancelled")
    return voucher_view(voucher)


def complete_cancellations(session: Session, now: datetime | None = None,
                           batch: int = 200) -> int:
    """Cancellations whose offline window has passed take effect: the credit returns."""
    now = now or datetime.now(UTC)
    due = session.scalars(
        select(Voucher).where(Voucher.status == "cancelling",
                              Voucher.cancel_takes_effect_at <= now)
        .order_by(Voucher.seq).limit(batch).with_for_update(skip_locked=True)).all()
    for voucher in due:
        _give_back(session, voucher, "cancelled")
    return len(due)


def _past_offline_window(now: datetime, session: Session) -> Any:
    """Vouchers whose expiry is further back than their provider's offline hours: no
    phone can still send one as accepted on its last day (docs/offline.md). One
    condition per value of the hours operators set (few), and the default's."""
    limits = OfflineLimits.__table__
    set_hours = session.scalars(select(limits.c.hours).distinct()).all()
    return or_(
        (Voucher.provider_id.not_in(select(limits.c.provider_id)))
        & (Voucher.expires_at < now - timedelta(hours=OFFLINE_DEFAULT_HOURS)),
        *[(Voucher.provider_id.in_(select(limits.c.provider_id).where(limits.c.hours == h)))
          & (Voucher.expires_at < now - timedelta(hours=h)) for h in set_hours])


def expire_due(session: Session, now: datetime | None = None, batch: int = 200) -> int:
    """Expire unredeemed vouchers once past their date and their provider's offline
    window (an acceptance made on the last day may still be on its way); their hold
    returns to credit."""
    now = now or datetime.now(UTC)
    query = (select(Voucher).where(Voucher.status == "issued", Voucher.expires_at < now,
                                   _past_offline_window(now, session))
             .order_by(Voucher.seq).limit(batch).with_for_update(skip_locked=True))
    due = session.scalars(query).all()
    for voucher in due:
        _give_back(session, voucher, "expired")
    return len(due)


def list_for_employee(session: Session, employee_id: str, limit: int, cursor: str | None
                      ) -> dict[str, Any]:
    query = (select(Voucher).where(Voucher.employee_id == employee_id)
             .order_by(Voucher.seq.desc()).limit(limit + 1))
    if cursor:
        query = query.where(Voucher.seq < int(cursor))
    rows = session.scalars(query).all()
    return {"items": [voucher_view(v) for v in rows[:limit]],
            "next_cursor": str(rows[limit - 1].seq) if len(rows) > limit else None}


def get_for_employee(session: Session, employee_id: str, voucher_id: str) -> Voucher:
    voucher = session.scalar(select(Voucher).where(Voucher.id == voucher_id))
    if voucher is None or voucher.employee_id != employee_id:
        raise refusals.VOUCHER_NOT_YOURS(field="voucher_id")
    return voucher
