"""A purchase is written one of two ways (issue 24.4): on PostgreSQL by one
statement (vouchers._ISSUE_PG), elsewhere, or when the credit is short, by
ledger.post and record_event. Both write what one `vouchers.Issue` says; here two
employees buy the same thing, one each way, and every row written is compared."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select
from wallet import vouchers
from wallet.models import Account, LedgerTransaction, Posting, Voucher, outbox

# what differs between any two purchases, however written
OWN = {"id", "code", "employee_id", "idempotency_key", "request_hash", "created_at",
       "expires_at", "seq", "signed"}  # signed: over its own code


def _written(session: Any, voucher_id: str) -> dict[str, Any]:
    voucher = session.scalars(select(Voucher).where(Voucher.id == voucher_id)).one()
    tx = session.scalars(select(LedgerTransaction).where(
        LedgerTransaction.memo["voucher_id"].as_string() == voucher_id)).one()
    held = session.get(Account, f"voucher:{voucher_id}")
    postings = sorted((p.account_id.replace(voucher_id, "V").replace(voucher.employee_id, "E"),
                       p.amount_cents) for p in session.scalars(
        select(Posting).where(Posting.transaction_id == tx.id)))
    envelope = session.execute(select(outbox.c.event_type, outbox.c.envelope).where(
        outbox.c.envelope["payload"]["id"].as_string() == voucher_id)).one()
    return {
        "voucher": {c.name: getattr(voucher, c.name) for c in Voucher.__table__.columns
                    if c.name not in OWN},
        "transaction": {"kind": tx.kind, "company_id": tx.company_id,
                        "memo": {k: v for k, v in tx.memo.items() if k != "voucher_id"},
                        "key": tx.idempotency_key.replace(voucher.employee_id, "E").replace(
                            voucher.idempotency_key, "K")},
        "held": {"kind": held.kind, "company_id": held.company_id,
                 "plan_id": held.plan_id, "balance_cents": held.balance_cents,
                 "may_go_negative": held.may_go_negative,
                 "owner": held.owner_id == voucher.employee_id},
        "postings": postings,
        "event": (envelope.event_type, envelope.envelope["type"], sorted(
            (k, v) for k, v in envelope.envelope["payload"].items() if k not in OWN)),
    }


def test_both_ways_write_the_same_rows(make_world, monkeypatch) -> None:
    world = make_world(fund_cents=10_000, employees=2, price_cents=2_500)
    one_statement, general = world.employees
    for employee in world.employees:
        world.grant(employee, 5_000)
    used: list[str] = []
    real = vouchers._issue_pg

    def spy(session: Any, issue: vouchers.Issue) -> bool:
        if issue.voucher["employee_id"] == general:
            used.append("general")
            return False  # as when a racing purchase took the credit: the general way
        used.append("one statement")
        return real(session, issue)

    monkeypatch.setattr(vouchers, "_issue_pg", spy)
    outcomes = {employee: world.purchase(employee, "education") for employee in world.employees}
    assert used == ["one statement", "general"]
    assert all(kind == "ok" for kind, _ in outcomes.values()), outcomes
    with world.factory() as s:
        first, second = (_written(s, outcomes[e][1]["id"]) for e in (one_statement, general))
    assert first == second
    assert first["postings"] == sorted([(f"employee:E:plan:{world.plan['id']}", -2_500),
                                        ("voucher:V", 2_500)])


def test_an_issue_names_every_column_a_voucher_is_written_with() -> None:
    with pytest.raises(ValueError, match="beside ISSUED_COLUMNS"):
        vouchers.Issue(legs=[], memo={}, ledger_key="k", voucher={"id": "x"}, event={})
