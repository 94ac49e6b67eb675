"""The double-entry ledger (docs/ledger.md), as plain functions over a session.

Every transfer is one transaction whose postings sum to zero. Accounts are
locked in a fixed order (sorted ids), so concurrent transfers on the same
accounts serialize without deadlocks. No account but `external:*` may go
below zero. A transaction is never changed; the same idempotency key with the
same content returns the first transaction, with other content it is refused.
"""

from __future__ import annotations

import bisect
import hashlib
import json
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import func, insert, select, text, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session
from wecare_common.contract import refusals
from wecare_common.db import insert_ignore

from wallet.models import Account, LedgerTransaction, Posting

EXTERNAL_STRIPE = "external:stripe"
EXTERNAL_BANK = "external:bank"
PLATFORM_COMMISSION = "platform:commission"


def fund_account(company_id: str) -> str:
    return f"company:{company_id}:fund"


def credit_account(employee_id: str, plan_id: str) -> str:
    return f"employee:{employee_id}:plan:{plan_id}"


def voucher_account(voucher_id: str) -> str:
    return f"voucher:{voucher_id}"


def payable_account(provider_id: str) -> str:
    return f"provider:{provider_id}:payable"


@dataclass(frozen=True)
class Leg:
    """One side of a transfer: `amount_cents` > 0 credits the account, < 0 debits it."""

    account_id: str
    amount_cents: int
    company_id: str | None = None
    owner_id: str | None = None
    plan_id: str | None = None


@dataclass
class Posted:
    transaction: LedgerTransaction
    replayed: bool
    # balances after posting, of every account read (of the debited ones at least)
    balances: dict[str, int] = field(default_factory=dict)


def transfer(source: Leg, destinations: Iterable[Leg]) -> list[Leg]:
    """Legs that move the destinations' total out of `source`."""
    dests = list(destinations)
    total = sum(d.amount_cents for d in dests)
    return [Leg(source.account_id, -total, source.company_id, source.owner_id,
                source.plan_id), *dests]


def _kind_of(account_id: str) -> str:
    return account_id.split(":", 1)[0]


def content_hash(kind: str, legs: list[Leg], memo: dict[str, Any]) -> str:
    canonical = json.dumps(
        {"kind": kind, "legs": sorted((leg.account_id, leg.amount_cents) for leg in legs),
         "memo": memo},
        sort_keys=True, default=str,
    )
    return hashlib.sha256(canonical.encode()).hexdigest()


def find_transaction(session: Session, idempotency_key: str) -> LedgerTransaction | None:
    return session.scalar(
        select(LedgerTransaction).where(LedgerTransaction.idempotency_key == idempotency_key))


def post(
    session: Session,
    *,
    kind: str,
    idempotency_key: str,
    legs: list[Leg],
    company_id: str | None = None,
    memo: dict[str, Any] | None = None,
    fresh: bool = False,
    lock: bool = True,
) -> Posted:
    """Post one balanced transaction inside the caller's DB transaction.
    `fresh`: the caller has just seen, in this transaction, that the key is
    unused (a concurrent twin still fails on the key's unique index).
    `lock=False` reads balances without row locks: only for a SERIALIZABLE
    transaction that the caller retries on a serialization failure (the
    alternative `make bench-ledger` measures; row locks won)."""
    memo = memo or {}
    digest = content_hash(kind, legs, memo)
    existing = None if fresh else find_transaction(session, idempotency_key)
    if existing is not None:
        if existing.content_hash != digest:
            raise refusals.TRANSFER_KEY_REUSED(field="idempotency_key")
        return Posted(existing, replayed=True)

    deltas: dict[str, int] = defaultdict(int)
    meta: dict[str, Leg] = {}
    for leg in legs:
        if not isinstance(leg.amount_cents, int) or isinstance(leg.amount_cents, bool):
            raise refusals.NOT_WHOLE_CENTS(field="amount_cents")
        deltas[leg.account_id] += leg.amount_cents
        meta.setdefault(leg.account_id, leg)
    if sum(deltas.values()) != 0:
        raise ValueError(f"unbalanced transaction {kind}: sums to {sum(deltas.values())}")
    if not any(deltas.values()):
        raise refusals.NOTHING_TO_TRANSFER(field="amount_cents")

    ids = sorted(deltas)
    postgres = session.get_bind().dialect.name == "postgresql"
    bulk = postgres and len(ids) > BULK_LEGS
    if bulk:
        balances = _open_and_lock_pg(session, ids, meta, deltas, lock)
    else:
        insert_ignore(session, Account.__table__, [
            {"id": a, "kind": _kind_of(a), "company_id": meta[a].company_id,
             "owner_id": meta[a].owner_id, "plan_id": meta[a].plan_id,
             "may_go_negative": a.startswith("external:"), "balance_cents": 0}
            for a in ids
        ])
        balances = _lock_balances(session, ids, lock)
    new_balances = {}
    for account_id in (a for a in ids if a in balances):
        after = balances[account_id][0] + deltas[account_id]
        if after < 0 and not balances[account_id][1]:
            raise refusals.ACCOUNT_SHORT(account=account_id, held_cents=balances[account_id][0],
                                         needed_cents=-deltas[account_id], missing_cents=-after,
                                         field="amount_cents")
        new_balances[account_id] = after

    tx = LedgerTransaction(id=str(uuid.uuid4()), kind=kind, idempotency_key=idempotency_key,
                           content_hash=digest, company_id=company_id, memo=memo,
                           created_at=datetime.now(UTC))
    session.execute(insert(LedgerTransaction), [{
        "id": tx.id, "kind": kind, "idempotency_key": idempotency_key, "content_hash": digest,
        "company_id": company_id, "memo": memo, "created_at": tx.created_at}])
    if postgres:
        # two statements whatever the count (row by row, an update is a round trip each)
        moved = [a for a in ids if deltas[a]]
        _apply_pg(session, tx.id, moved, [deltas[a] for a in moved])
        return Posted(tx, replayed=False, balances=new_balances)
    session.execute(insert(Posting), [
        {"transaction_id": tx.id, "account_id": a, "amount_cents": deltas[a]}
        for a in ids if deltas[a]
    ])
    session.execute(update(Account), [
        {"id": a, "balance_cents": new_balances[a]} for a in ids if deltas[a]
    ])
    # `tx` stays transient: a plain record of what was written, not tracked by the session
    return Posted(tx, replayed=False, balances=new_balances)


# Above this many accounts, PostgreSQL gets whole arrays in a few statements
# (a grant to 100,000 employees is one transaction of 100,001 postings).
BULK_LEGS = 50


def _open_and_lock_pg(session: Session, ids: list[str], meta: dict[str, Leg],
                      deltas: dict[str, int], lock: bool = True) -> dict[str, tuple[int, bool]]:
    session.execute(text(
        "INSERT INTO accounts (id, kind, company_id, owner_id, plan_id, may_go_negative, "
        "balance_cents) SELECT a.id, a.kind, a.company_id, a.owner_id, a.plan_id, "
        "a.id LIKE 'external:%', 0 FROM unnest(CAST(:ids AS text[]), CAST(:kinds AS text[]), "
        "CAST(:companies AS text[]), CAST(:owners AS text[]), CAST(:plans AS text[])) "
        "AS a(id, kind, company_id, owner_id, plan_id) ON CONFLICT (id) DO NOTHING"), {
        "ids": ids, "kinds": [_kind_of(a) for a in ids],
        "companies": [meta[a].company_id for a in ids],
        "owners": [meta[a].owner_id for a in ids], "plans": [meta[a].plan_id for a in ids]})
    # Only debited accounts can go below zero: they are read and locked here, in
    # id order as everywhere. Credited rows are locked by the increment itself,
    # which commutes with any other transfer's.
    debited = [a for a in ids if deltas[a] < 0]
    rows = session.execute(text(
        "SELECT id, balance_cents, may_go_negative FROM accounts "
        "WHERE id = ANY(CAST(:ids AS text[])) ORDER BY id" + (" FOR UPDATE" if lock else "")),
        {"ids": debited}).all()
    return {r.id: (r.balance_cents, r.may_go_negative) for r in rows}


def _apply_pg(session: Session, tx_id: str, ids: list[str], deltas: list[int]) -> None:
    params = {"tx": tx_id, "ids": ids, "deltas": deltas}
    session.execute(text(
        "INSERT INTO postings (transaction_id, account_id, amount_cents) "
        "SELECT :tx, d.id, d.delta FROM unnest(CAST(:ids AS text[]), "
        "CAST(:deltas AS bigint[])) AS d(id, delta)"), params)
    session.execute(text(
        "UPDATE accounts SET balance_cents = accounts.balance_cents + d.delta "
        "FROM unnest(CAST(:ids AS text[]), CAST(:deltas AS bigint[])) AS d(id, delta) "
        "WHERE accounts.id = d.id"), params)


def credits_hash(kind: str, source: str, destinations: list[str], amount_cents: int,
                 memo: dict[str, Any]) -> str:
    """`content_hash` of `transfer(Leg(source, 0), [Leg(d, amount_cents) for d in
    destinations])`, the same digest (a retry of a transfer posted either way is
    recognised) written without a Leg or a tuple per destination: they all move the
    same amount, so the legs sort as their account ids do."""
    accounts = sorted(destinations)
    at = bisect.bisect_left(accounts, source)
    if at < len(accounts) and accounts[at] == source:
        raise ValueError("the source is among the destinations")
    encode = json.encoder.encode_basestring_ascii  # how json.dumps writes a str
    tail = f", {amount_cents}]"
    legs = [f"[{encode(a)}{tail}" for a in accounts]
    legs.insert(at, f"[{encode(source)}, {-amount_cents * len(destinations)}]")
    canonical = (f'{{"kind": {json.dumps(kind)}, "legs": [{", ".join(legs)}], '
                 f'"memo": {json.dumps(memo, sort_keys=True, default=str)}}}')
    return hashlib.sha256(canonical.encode()).hexdigest()


def post_credits(session: Session, *, kind: str, idempotency_key: str, source: str,
                 owners: list[str], plan_id: str, amount_cents: int, company_id: str,
                 memo: dict[str, Any]) -> Posted:
    """The same `amount_cents` from `source` to each owner's `credit_account` on
    `plan_id` (a bulk grant): what `post` does with `transfer`, in three statements
    whatever the number of owners on PostgreSQL, with no object per owner. The
    owners' accounts are written with their balance (opened by a plain insert, or,
    when some exist, opened or increased by one upsert; in id order: the source, a
    company fund, sorts before them, so the locks are taken in id order as
    everywhere). An owner listed twice gets twice."""
    if session.get_bind().dialect.name != "postgresql":
        return post(session, kind=kind, idempotency_key=idempotency_key, company_id=company_id,
                    memo=memo, legs=transfer(Leg(source, 0, company_id=company_id), [
                        Leg(credit_account(o, plan_id), amount_cents, company_id=company_id,
                            owner_id=o, plan_id=plan_id) for o in owners]))
    if not isinstance(amount_cents, int) or isinstance(amount_cents, bool):
        raise refusals.NOT_WHOLE_CENTS(field="amount_cents")
    if amount_cents <= 0 or not owners:
        raise refusals.NOTHING_TO_TRANSFER(field="amount_cents")
    head, tail = credit_account("\n", plan_id).split("\n")  # the account id around the owner
    digest = credits_hash(kind, source, [head + o + tail for o in owners], amount_cents, memo)
    existing = find_transaction(session, idempotency_key)
    if existing is not None:
        if existing.content_hash != digest:
            raise refusals.TRANSFER_KEY_REUSED(field="idempotency_key")
        return Posted(existing, replayed=True)
    total = amount_cents * len(owners)
    row = session.execute(text(
        "SELECT balance_cents, may_go_negative FROM accounts WHERE id = :id FOR UPDATE"),
        {"id": source}).first()
    held, may_go_negative = (row.balance_cents, row.may_go_negative) if row else (0, False)
    if held - total < 0 and not may_go_negative:
        raise refusals.ACCOUNT_SHORT(account=source, held_cents=held, needed_cents=total,
                                     missing_cents=total - held, field="amount_cents")
    tx = LedgerTransaction(id=str(uuid.uuid4()), kind=kind, idempotency_key=idempotency_key,
                           content_hash=digest, company_id=company_id, memo=memo,
                           created_at=datetime.now(UTC))
    session.execute(insert(LedgerTransaction), [{
        "id": tx.id, "kind": kind, "idempotency_key": idempotency_key, "content_hash": digest,
        "company_id": company_id, "memo": memo, "created_at": tx.created_at}])
    # the owners once each, as one JSON text (a parameter PostgreSQL parses in one go;
    # a Python list becomes an ARRAY[...] of one expression per item)
    params = {"owners": json.dumps(owners), "plan": plan_id, "company": company_id,
              "amount": amount_cents, "tx": tx.id, "source": source, "total": total,
              "head": head, "tail": tail, "kind": _kind_of(head)}
    # the owners' credits computed once (MATERIALIZED), then in one statement the
    # source debited, the accounts opened with their credit (in id order) and the
    # postings written; grouped and sorted in memory (the default 4 MB spilled to disk)
    session.execute(text("SET LOCAL work_mem = '64MB'"))
    credits = ("WITH c AS MATERIALIZED (SELECT :head || o.owner || :tail AS id, o.owner, "
               "CAST(:amount AS bigint) * o.n AS delta FROM (SELECT value AS owner, "
               "count(*) AS n FROM json_array_elements_text(CAST(:owners AS json)) "
               "GROUP BY value) AS o), "
               "debited AS (UPDATE accounts SET balance_cents = balance_cents - :total "
               "WHERE id = :source), "
               "opened AS (INSERT INTO accounts (id, kind, company_id, owner_id, plan_id, "
               "may_go_negative, balance_cents) SELECT c.id, :kind, :company, c.owner, :plan, "
               "false, c.delta FROM c ORDER BY c.id{conflict}) "
               "INSERT INTO postings (transaction_id, account_id, amount_cents) "
               "SELECT :tx, :source, -CAST(:total AS bigint) UNION ALL "
               "SELECT :tx, c.id, c.delta FROM c")
    try:  # new accounts (a plan's first grant): a plain insert, a quarter less WAL
        with session.begin_nested():
            session.execute(text(credits.format(conflict="")), params)
    except IntegrityError as exc:  # some exist already: those increased
        if getattr(exc.orig, "pgcode", None) != "23505":  # unique_violation
            raise
        session.execute(text(credits.format(
            conflict=" ON CONFLICT (id) DO UPDATE SET balance_cents = "
                     "accounts.balance_cents + EXCLUDED.balance_cents")), params)
    return Posted(tx, replayed=False, balances={source: held - total})


def _lock_balances(session: Session, ids: list[str], lock: bool = True
                   ) -> dict[str, tuple[int, bool]]:
    """Balances of `ids`, each row locked until commit, taken in sorted order."""
    out: dict[str, tuple[int, bool]] = {}
    for start in range(0, len(ids), 5000):
        chunk = ids[start:start + 5000]
        query = (select(Account.id, Account.balance_cents, Account.may_go_negative)
                 .where(Account.id.in_(chunk)).order_by(Account.id))
        rows = session.execute(query.with_for_update() if lock else query).all()
        out.update({r.id: (r.balance_cents, r.may_go_negative) for r in rows})
    return out


def balance(session: Session, account_id: str) -> int:
    return session.scalar(
        select(Account.balance_cents).where(Account.id == account_id)) or 0


def audit(session: Session) -> dict[str, Any]:
    """Recompute every balance from the postings and check the invariants.

    On PostgreSQL the queries share one REPEATABLE READ snapshot, so transfers
    committing meanwhile cannot make stored and recomputed balances disagree.
    Call it on a session that has not begun a transaction yet."""
    if session.get_bind().dialect.name == "postgresql" and not session.in_transaction():
        session.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    sums = dict(session.execute(
        select(Posting.account_id, func.sum(Posting.amount_cents)).group_by(Posting.account_id)
    ).tuples().all())
    stored = dict(session.execute(select(Account.id, Account.balance_cents)).tuples().all())
    unbalanced = session.execute(
        select(Posting.transaction_id).group_by(Posting.transaction_id)
        .having(func.sum(Posting.amount_cents) != 0)
    ).scalars().all()
    total = int(sum(sums.values()))
    negative = sorted(a for a, s in sums.items() if s < 0 and not a.startswith("external:"))
    drifted = sorted(a for a in stored if int(sums.get(a, 0)) != stored[a])
    return {
        "balanced": total == 0 and not negative and not drifted and not unbalanced,
        "sum_cents": total,
        "accounts": len(stored),
        "negative_accounts": negative,
        "drifted_accounts": drifted,
        "unbalanced_transactions": list(unbalanced),
    }
