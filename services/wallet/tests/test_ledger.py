"""The double-entry ledger on real PostgreSQL: invariants, idempotency, races."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator

import pytest
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker
from wallet import ledger
from wallet.ledger import Leg
from wecare_common.errors import IdempotencyConflict, InsufficientFunds, InvalidInput


@pytest.fixture
def session(engines) -> Iterator[Session]:
    factory = sessionmaker(bind=engines("wallet"), expire_on_commit=False)
    with factory() as session:
        yield session


def fund(company: str, cents: int) -> list[Leg]:
    return ledger.transfer(Leg(ledger.EXTERNAL_BANK, 0),
                           [Leg(ledger.fund_account(company), cents, company_id=company)])


def new_id() -> str:
    return str(uuid.uuid4())


def test_a_transfer_moves_money_and_every_transaction_sums_to_zero(session) -> None:
    company = new_id()
    posted = ledger.post(session, kind="topup", idempotency_key=new_id(),
                         legs=fund(company, 10_000), company_id=company)
    session.commit()
    assert not posted.replayed
    assert ledger.balance(session, ledger.fund_account(company)) == 10_000
    report = ledger.audit(session)
    assert report["balanced"] and report["sum_cents"] == 0
    assert report["negative_accounts"] == [] and report["unbalanced_transactions"] == []


def test_no_internal_account_goes_below_zero(session) -> None:
    company, employee, plan = new_id(), new_id(), new_id()
    ledger.post(session, kind="topup", idempotency_key=new_id(), legs=fund(company, 500))
    session.commit()
    with pytest.raises(InsufficientFunds) as exc:
        ledger.post(session, kind="grant", idempotency_key=new_id(), legs=ledger.transfer(
            Leg(ledger.fund_account(company), 0),
            [Leg(ledger.credit_account(employee, plan), 501)]))
    session.rollback()
    assert exc.value.params["missing_cents"] == 1 and "0,01 € missing" in str(exc.value)
    assert ledger.balance(session, ledger.fund_account(company)) == 500
    assert ledger.balance(session, ledger.credit_account(employee, plan)) == 0


def test_the_same_key_and_content_returns_the_first_transaction(session) -> None:
    company, key = new_id(), new_id()
    first = ledger.post(session, kind="topup", idempotency_key=key, legs=fund(company, 700))
    session.commit()
    again = ledger.post(session, kind="topup", idempotency_key=key, legs=fund(company, 700))
    session.commit()
    assert again.replayed and again.transaction.id == first.transaction.id
    assert ledger.balance(session, ledger.fund_account(company)) == 700


def test_the_same_key_with_other_content_is_refused(session) -> None:
    company, key = new_id(), new_id()
    ledger.post(session, kind="topup", idempotency_key=key, legs=fund(company, 700))
    session.commit()
    with pytest.raises(IdempotencyConflict):
        ledger.post(session, kind="topup", idempotency_key=key, legs=fund(company, 800))
    session.rollback()
    assert ledger.balance(session, ledger.fund_account(company)) == 700


def test_an_unbalanced_or_empty_transaction_is_refused(session) -> None:
    with pytest.raises(ValueError):
        ledger.post(session, kind="bad", idempotency_key=new_id(),
                    legs=[Leg(ledger.EXTERNAL_BANK, -5), Leg("company:x:fund", 4)])
    with pytest.raises(InvalidInput):
        ledger.post(session, kind="bad", idempotency_key=new_id(),
                    legs=[Leg(ledger.EXTERNAL_BANK, 0), Leg("company:x:fund", 0)])
    session.rollback()


def test_racing_spends_of_the_last_euro_cannot_both_succeed(engines) -> None:
    """Twenty threads race to spend a fund that covers exactly one of them."""
    factory = sessionmaker(bind=engines("wallet"), expire_on_commit=False)
    company = new_id()
    with factory() as s:
        ledger.post(s, kind="topup", idempotency_key=new_id(), legs=fund(company, 100))
        s.commit()
    outcomes: list[str] = []
    start = threading.Barrier(20)

    def spend() -> None:
        with factory() as s:
            start.wait()
            try:
                ledger.post(s, kind="grant", idempotency_key=new_id(), legs=ledger.transfer(
                    Leg(ledger.fund_account(company), 0),
                    [Leg(ledger.credit_account(new_id(), "p"), 100)]))
                s.commit()
                outcomes.append("ok")
            except InsufficientFunds:
                s.rollback()
                outcomes.append("refused")

    threads = [threading.Thread(target=spend) for _ in range(20)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sorted(outcomes) == ["ok"] + ["refused"] * 19
    with factory() as s:
        assert ledger.balance(s, ledger.fund_account(company)) == 0
        assert ledger.audit(s)["balanced"]


def test_a_grant_to_many_employees_is_one_balanced_transaction(session) -> None:
    """More than BULK_LEGS accounts: PostgreSQL gets whole arrays."""
    company, plan = new_id(), new_id()
    employees = [new_id() for _ in range(ledger.BULK_LEGS * 4)]
    ledger.post(session, kind="topup", idempotency_key=new_id(), legs=fund(company, 100_000))
    session.commit()
    def grant_each(cents: int) -> list[Leg]:
        return ledger.transfer(Leg(ledger.fund_account(company), 0), [
            Leg(ledger.credit_account(e, plan), cents, owner_id=e, plan_id=plan)
            for e in employees])

    with pytest.raises(InsufficientFunds):  # 200 × 600 = 120,000 > 100,000
        ledger.post(session, kind="grant", idempotency_key=new_id(), legs=grant_each(600))
    session.rollback()
    legs = grant_each(300)
    posted = ledger.post(session, kind="grant", idempotency_key=new_id(), legs=legs,
                         company_id=company)
    session.commit()
    assert not posted.replayed
    assert ledger.balance(session, ledger.fund_account(company)) == 100_000 - 300 * len(employees)
    assert {ledger.balance(session, ledger.credit_account(e, plan)) for e in employees} == {300}
    assert ledger.audit(session)["balanced"]


def test_credits_to_many_owners_post_as_the_same_transfer_would(session) -> None:
    """ledger.post_credits (a bulk grant in a few statements): the same balances,
    postings and content hash as `post` with `transfer`, existing accounts
    increased, a retry with the key replayed, other content refused, a short fund
    refused with nothing written."""
    company, plan = new_id(), new_id()
    employees = [new_id() for _ in range(120)]
    source = ledger.fund_account(company)
    ledger.post(session, kind="topup", idempotency_key=new_id(), legs=fund(company, 100_000))
    session.commit()
    memo = {"grant_id": new_id(), "plan_id": plan}
    legs = ledger.transfer(Leg(source, 0), [Leg(ledger.credit_account(e, plan), 250)
                                            for e in employees])
    assert ledger.credits_hash("grant", source, [ledger.credit_account(e, plan)
                                                 for e in employees], 250, memo) == (
        ledger.content_hash("grant", legs, memo))

    def grant(key: str, owners: list[str], cents: int) -> ledger.Posted:
        return ledger.post_credits(session, kind="grant", idempotency_key=key, source=source,
                                   owners=owners, plan_id=plan, amount_cents=cents,
                                   company_id=company, memo=memo)

    with pytest.raises(InsufficientFunds) as short:  # 120 × 900 = 108,000 > 100,000
        grant(new_id(), employees, 900)
    session.rollback()
    assert short.value.code == "account_short" and short.value.params == {
        "account": source, "held_cents": 100_000, "needed_cents": 108_000,
        "missing_cents": 8_000}
    assert ledger.balance(session, ledger.credit_account(employees[0], plan)) == 0
    key = new_id()
    posted = grant(key, employees, 250)
    session.commit()
    assert not posted.replayed and posted.balances == {source: 100_000 - 120 * 250}
    assert posted.transaction.content_hash == ledger.content_hash("grant", legs, memo)
    assert grant(key, employees, 250).replayed  # a retry: nothing moves again
    with pytest.raises(IdempotencyConflict):
        grant(key, employees, 251)
    session.rollback()
    newcomer = new_id()  # accounts there already and a new one: opened or increased
    again = grant(new_id(), [employees[0], employees[0], employees[1], newcomer], 100)
    session.commit()
    assert not again.replayed
    assert ledger.balance(session, ledger.credit_account(newcomer, plan)) == 100
    assert ledger.balance(session, ledger.credit_account(employees[0], plan)) == 450
    assert ledger.balance(session, ledger.credit_account(employees[1], plan)) == 350
    assert ledger.balance(session, ledger.credit_account(employees[2], plan)) == 250
    assert ledger.balance(session, source) == 100_000 - 120 * 250 - 400
    assert ledger.audit(session)["balanced"]
    with pytest.raises(InvalidInput):
        grant(new_id(), [], 100)


def _refused(session: Session, statement: str, params: dict, words: str) -> None:
    with pytest.raises(DBAPIError) as exc:
        session.execute(text(statement), params)
        session.flush()
    session.rollback()
    assert words in str(exc.value.orig)


def test_postings_name_accounts_and_transactions_that_exist(session) -> None:
    """Checked once per statement over all its rows (migration 0007), as the foreign
    keys did per row: a statement naming one unknown account among good ones is
    refused whole."""
    company = new_id()
    posted = ledger.post(session, kind="topup", idempotency_key=new_id(),
                         legs=fund(company, 300), company_id=company)
    session.commit()
    tx, known = posted.transaction.id, ledger.fund_account(company)
    unknown = ledger.credit_account(new_id(), new_id())
    _refused(session, "INSERT INTO postings (transaction_id, account_id, amount_cents) "
             "VALUES (:tx, :known, 1), (:tx, :unknown, -1)",
             {"tx": tx, "known": known, "unknown": unknown},
             f"a posting names account '{unknown}', which does not exist")
    _refused(session, "INSERT INTO postings (transaction_id, account_id, amount_cents) "
             "VALUES (:tx, :known, 1), (:tx, :known, -1)",
             {"tx": "no-such-transaction", "known": known},
             "a posting names ledger transaction 'no-such-transaction', which does not exist")
    assert ledger.audit(session)["balanced"]


def test_the_ledger_is_written_once(session) -> None:
    """Postings are never changed or deleted; accounts and transactions never deleted
    nor renamed (what the foreign keys protected, and more)."""
    company = new_id()
    posted = ledger.post(session, kind="topup", idempotency_key=new_id(),
                         legs=fund(company, 300), company_id=company)
    session.commit()
    tx, fund_id = posted.transaction.id, ledger.fund_account(company)
    for statement, params in [
            ("UPDATE postings SET amount_cents = 0 WHERE transaction_id = :tx", {"tx": tx}),
            ("DELETE FROM postings WHERE transaction_id = :tx", {"tx": tx}),
            ("DELETE FROM accounts WHERE id = :id", {"id": fund_id}),
            ("UPDATE accounts SET id = 'elsewhere' WHERE id = :id", {"id": fund_id}),
            ("DELETE FROM ledger_transactions WHERE id = :tx", {"tx": tx}),
            ("UPDATE ledger_transactions SET id = 'elsewhere' WHERE id = :tx", {"tx": tx})]:
        _refused(session, statement, params, "refused: the ledger is written once")
    # a balance is still kept up to date (only the id is fixed)
    session.execute(text("UPDATE accounts SET balance_cents = balance_cents WHERE id = :id"),
                    {"id": fund_id})
    session.rollback()
    assert ledger.balance(session, fund_id) == 300
