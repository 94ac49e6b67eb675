"""Settlement pays providers with no call to Stripe inside a database transaction or
under a row lock: the run records what it will pay and commits, then payouts go one by
one with the payout's own id as Stripe's idempotency key. A failure half-way pays
nobody twice, and the rest is paid on the next try (the next day's run)."""

from __future__ import annotations

import uuid

import pytest
from sqlalchemy import select, text
from wallet import copies, ledger, settlement
from wallet.ledger import Leg
from wallet.models import Account, LedgerTransaction, Payout
from wecare_common.db import make_engine


@pytest.fixture
def stripe_providers(make_world, wallet_engine):
    """Three providers paid through Stripe, owed 10, 20 and 30 euro."""
    world = make_world(fund_cents=1_000)
    made = []
    with world.factory() as s:
        for n in (1, 2, 3):
            provider = str(uuid.uuid4())
            copies.keep_provider(s, {"id": provider, "name": f"Palestra {n}",
                                     "status": "approved", "commission_bps": 0,
                                     "stripe_account_id": f"acct_{provider[:12]}"},
                                 as_of=None)
            ledger.post(s, kind="test_owed", idempotency_key=f"owed:{provider}",
                        legs=ledger.transfer(Leg(ledger.EXTERNAL_BANK, 0), [
                            Leg(ledger.payable_account(provider), n * 1_000,
                                owner_id=provider)]))
            made.append((provider, f"acct_{provider[:12]}", n * 1_000))
        s.commit()
    return world, made


class Stripe:
    """Stripe as seen from the wallet: one transfer per idempotency key (a retry with
    the key gets the first transfer back); it may fail on a chosen account once. Each
    call checks that the wallet holds no transaction and no row lock meanwhile."""

    def __init__(self, session, database_url: str, fail_once: set[str] | None = None) -> None:
        self.session, self.fail_once = session, set(fail_once or ())
        self.calls: list[tuple[str, int, str]] = []
        self.transfers: dict[str, str] = {}
        self.other = make_engine("wallet", database_url, pool_size=1)

    def __call__(self, account: str, cents: int, key: str) -> str:
        assert not self.session.in_transaction(), "a call to Stripe inside a transaction"
        with self.other.begin() as conn:  # every payable and payout row lockable at once
            conn.execute(text("SET LOCAL lock_timeout = '2s'"))
            conn.execute(select(Account.id).where(Account.kind.in_(["provider", "payout"]))
                         .with_for_update(nowait=True)).all()
            conn.execute(select(Payout.id).with_for_update(nowait=True)).all()
        self.calls.append((account, cents, key))
        if account in self.fail_once:
            self.fail_once.discard(account)
            raise ConnectionError("Stripe did not answer")
        return self.transfers.setdefault(key, "tr_" + uuid.uuid4().hex[:16])


def _ours(run: dict, providers: list) -> dict[str, dict]:
    ids = {p for p, _, _ in providers}
    return {p["provider_id"]: p for p in run["payouts"] if p["provider_id"] in ids}


def test_a_failure_half_way_pays_nobody_twice_and_the_next_run_pays_the_rest(
        stripe_providers, database_url) -> None:
    world, providers = stripe_providers
    (first, _, _), (second, second_account, _), (third, _, _) = providers
    with world.factory() as s:
        stripe = Stripe(s, database_url, fail_once={second_account})
        today = settlement.run(s, idempotency_key=f"day-1:{uuid.uuid4()}",
                               stripe_transfer=stripe)
        ours = _ours(today, providers)
        assert {p: v["status"] for p, v in ours.items()} == {
            first: "sent", second: "pending", third: "sent"}
        assert ours[second]["reference"] is None
        # what it owes the one it could not pay is held for that payout, not owed twice
        assert ledger.balance(s, ledger.payable_account(second)) == 0
        assert ledger.balance(s, settlement.held_account(ours[second]["id"])) == 2_000
        s.commit()

        tomorrow = settlement.run(s, idempotency_key=f"day-2:{uuid.uuid4()}",
                                  stripe_transfer=stripe)
        assert _ours(tomorrow, providers) == {}  # nothing new owed: no payout of its own
        again = settlement.run(s, idempotency_key=f"day-2:{uuid.uuid4()}",
                               stripe_transfer=stripe)
        assert _ours(again, providers) == {}
        paid = {p.provider_id: p for p in s.scalars(select(Payout).where(
            Payout.provider_id.in_([first, second, third])))}
        assert {p: v.status for p, v in paid.items()} == {
            first: "sent", second: "sent", third: "sent"}
        # the second provider's payout was tried twice, with the one key: its own id
        keys = [key for account, _, key in stripe.calls if account == second_account]
        assert keys == [paid[second].id, paid[second].id]
        ours_calls = [c for c in stripe.calls if c[2] in {v.id for v in paid.values()}]
        assert sorted(cents for _, cents, _ in ours_calls) == [1_000, 2_000, 2_000, 3_000]
        assert paid[second].reference == stripe.transfers[paid[second].id]
        for provider in (first, second, third):
            assert ledger.balance(s, ledger.payable_account(provider)) == 0
            assert ledger.balance(s, settlement.held_account(paid[provider].id)) == 0
        sent = s.scalars(select(LedgerTransaction.idempotency_key).where(
            LedgerTransaction.idempotency_key.in_([f"payout:{v.id}" for v in paid.values()])
        )).all()
        assert len(sent) == 3  # each payout left the ledger once
        assert ledger.audit(s)["balanced"]
        stripe.other.dispose()


def test_a_crash_after_stripe_took_a_payout_sends_it_once(stripe_providers, database_url,
                                                          monkeypatch) -> None:
    world, providers = stripe_providers
    real_sent = settlement._sent

    def crash(session, payout_id, reference):
        raise SystemExit("the pod was killed before it recorded the transfer")

    with world.factory() as s:
        stripe = Stripe(s, database_url)
        monkeypatch.setattr(settlement, "_sent", crash)
        with pytest.raises(SystemExit):
            settlement.run(s, idempotency_key=f"day-1:{uuid.uuid4()}", stripe_transfer=stripe)
        s.rollback()
        monkeypatch.setattr(settlement, "_sent", real_sent)
        # the restarted pod's next run: the same payout, the same key, the same transfer
        settlement.run(s, idempotency_key=f"day-2:{uuid.uuid4()}", stripe_transfer=stripe)
        ids = {p for p, _, _ in providers}
        paid = s.scalars(select(Payout).where(Payout.provider_id.in_(ids))).all()
        assert len(paid) == 3 and all(p.status == "sent" for p in paid)
        for payout in paid:
            keys = [key for _, _, key in stripe.calls if key == payout.id]
            assert keys and payout.reference == stripe.transfers[payout.id]
        assert len({stripe.transfers[p.id] for p in paid}) == 3
        assert ledger.audit(s)["balanced"]
        stripe.other.dispose()
