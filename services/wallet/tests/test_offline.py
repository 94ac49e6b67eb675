"""Redeeming without a network, in the wallet (docs/offline.md): a cancellation takes
effect once its offline window has passed; expiry waits for the provider's window; an
acceptance sent in time is paid once, and the ledger stays balanced."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import eventlet
from sqlalchemy import func, select
from wallet import ledger, offline, vouchers
from wallet.models import LedgerTransaction, Voucher, outbox
from wecare_common.contract import events


def _status(world, voucher_id: str) -> str:
    with world.factory() as s:
        return s.scalar(select(Voucher.status).where(Voucher.id == voucher_id))


def test_a_cancellation_takes_effect_after_the_providers_offline_window(make_world) -> None:
    world = make_world(fund_cents=10_000, price_cents=2_000)
    (employee,) = world.employees
    world.grant(employee, 5_000)
    _, voucher = world.purchase(employee, "education")
    asked = datetime.now(UTC)
    with world.factory() as s:
        offline.set_limits(s, world.provider_id, voucher_cents=5_000, waiting_cents=10_000,
                           hours=6)
        view = vouchers.cancel(s, employee_id=employee, voucher_id=voucher["id"],
                               offline_window=lambda v: offline.window(s, v), now=asked)
        s.commit()
    assert view["status"] == "cancelling" and view["signed"] is None
    assert datetime.fromisoformat(view["cancel_takes_effect_at"]) == asked + timedelta(hours=6)
    credit = ledger.credit_account(employee, world.plan["id"])
    with world.factory() as s:
        vouchers.complete_cancellations(s, asked + timedelta(hours=5))
        s.commit()
        assert _status(world, voucher["id"]) == "cancelling"
        assert ledger.balance(s, credit) == 3_000  # still held
    with world.factory() as s:
        while vouchers.complete_cancellations(s, asked + timedelta(hours=6, seconds=1)):
            s.commit()
        assert ledger.balance(s, credit) == 5_000  # the window passed: back
        assert ledger.audit(s)["balanced"]
    assert _status(world, voucher["id"]) == "cancelled"


def test_expiry_waits_for_the_providers_offline_window(make_world) -> None:
    world = make_world(fund_cents=10_000, price_cents=2_000)
    (employee,) = world.employees
    world.grant(employee, 5_000)
    _, voucher = world.purchase(employee, "education")
    expiry = datetime.fromisoformat(voucher["expires_at"])
    with world.factory() as s:
        offline.set_limits(s, world.provider_id, voucher_cents=5_000, waiting_cents=10_000,
                           hours=2)
        s.commit()
        vouchers.expire_due(s, expiry + timedelta(hours=1))
        s.commit()
    assert _status(world, voucher["id"]) == "issued"  # a phone may still send it
    with world.factory() as s:
        while vouchers.expire_due(s, expiry + timedelta(hours=2, seconds=1)):
            s.commit()
    assert _status(world, voucher["id"]) == "expired"


def test_an_acceptance_on_the_last_day_sent_after_the_expiry_is_paid(make_world) -> None:
    world = make_world(fund_cents=10_000, price_cents=2_000)
    (employee,) = world.employees
    world.grant(employee, 5_000)
    _, voucher = world.purchase(employee, "education")
    expiry = datetime.fromisoformat(voucher["expires_at"])
    with world.factory() as s:
        answer = offline.redeem_offline(s, provider_id=world.provider_id, items=[
            offline.Acceptance(voucher["signed"], expiry - timedelta(minutes=5), "phone-0001")],
            now=expiry + timedelta(hours=10))
        s.commit()
        (item,) = answer["items"]
        assert item["outcome"] == "recorded", item
        late = offline.redeem_offline(s, provider_id=world.provider_id, items=[
            offline.Acceptance(voucher["signed"], expiry + timedelta(minutes=5), "phone-0002")],
            now=expiry + timedelta(hours=10))
        assert late["items"][0]["refusal"]["code"] == "offline_after_expiry"
        assert ledger.audit(s)["balanced"]
    assert _status(world, voucher["id"]) == "redeemed"


def test_ten_phones_racing_with_one_voucher_record_it_once(make_world) -> None:
    """Ten phones of one provider send the same voucher at once (each accepted it
    offline): one is recorded, nine are duplicates, the provider is paid once."""

    world = make_world(fund_cents=10_000, price_cents=2_000)
    (employee,) = world.employees
    world.grant(employee, 5_000)
    _, voucher = world.purchase(employee, "education")
    at = datetime.now(UTC) - timedelta(hours=1)

    def send(n: int) -> str:
        with world.factory() as s:
            answer = offline.redeem_offline(s, provider_id=world.provider_id, items=[
                offline.Acceptance(voucher["signed"], at + timedelta(seconds=n),
                                   f"phone-{n:04d}")])
            s.commit()
            return str(answer["items"][0]["outcome"])

    outcomes = list(eventlet.GreenPool(10).imap(send, range(10)))
    assert outcomes.count("recorded") == 1
    assert outcomes.count("already_redeemed_by_you") == 9
    with world.factory() as s:
        assert len(offline.duplicates(s, world.provider_id)["items"]) == 9
        assert len(_accepted_again(s, voucher["id"])) == 9  # each told to the provider
        assert ledger.audit(s)["balanced"]
        paid = s.scalar(select(func.count()).select_from(LedgerTransaction).where(
            LedgerTransaction.idempotency_key == f"redeem:{voucher['id']}"))
        assert paid == 1


def test_a_plan_closes_once_its_vouchers_have_expired_after_the_offline_window(
        make_world) -> None:
    """Its vouchers' money comes back to the plan's credit only after the window: the
    plan closes after that, so the closing moves that money too."""
    from datetime import date

    from wallet import expiry

    world = make_world(fund_cents=10_000, price_cents=2_000)
    (employee,) = world.employees
    world.grant(employee, 5_000)
    _, voucher = world.purchase(employee, "education")
    ended = date.fromisoformat(world.plan["valid_until"]) + timedelta(days=1)
    with world.factory() as s:
        assert world.plan["id"] not in [p.id for p in expiry.plans_to_close(s, ended)]
        s.rollback()
        later = datetime.fromisoformat(voucher["expires_at"]) + timedelta(hours=48, seconds=1)
        while vouchers.expire_due(s, later):
            s.commit()
        assert world.plan["id"] in [p.id for p in expiry.plans_to_close(s, ended)]
        s.rollback()


def _accepted_again(s, voucher_id: str) -> list[dict]:
    """The voucher.accepted_again events in the wallet's outbox for this voucher."""
    return [envelope for envelope in s.scalars(select(outbox.c.envelope).where(
        outbox.c.event_type == events.VOUCHER_ACCEPTED_AGAIN).order_by(outbox.c.seq))
        if envelope["payload"]["voucher_id"] == voucher_id]


def test_a_duplicate_recorded_writes_one_event_for_the_provider_and_a_resend_none(
        make_world) -> None:
    """The second phone's acceptance is recorded as a duplicate with one
    voucher.accepted_again in the outbox, in the same transaction (notifications tells
    the provider); the same phone sending it again records nothing and writes nothing."""
    world = make_world(fund_cents=10_000, price_cents=2_000)
    (employee,) = world.employees
    world.grant(employee, 5_000)
    _, voucher = world.purchase(employee, "education")
    at = datetime.now(UTC) - timedelta(hours=1)
    first = offline.Acceptance(voucher["signed"], at, "phone-0001")
    second = offline.Acceptance(voucher["signed"], at + timedelta(minutes=20), "phone-0002")
    with world.factory() as s:
        offline.redeem_offline(s, provider_id=world.provider_id, items=[first])
        s.commit()
        assert _accepted_again(s, voucher["id"]) == []  # the one that redeemed it is no duplicate
        answer = offline.redeem_offline(s, provider_id=world.provider_id, items=[second])
        s.rollback()  # not committed: neither the duplicate nor its event
        assert _accepted_again(s, voucher["id"]) == [] and offline.duplicates(
            s, world.provider_id)["items"] == []
        answer = offline.redeem_offline(s, provider_id=world.provider_id, items=[second])
        s.commit()
        assert answer["items"][0]["outcome"] == "already_redeemed_by_you"
        (event,) = _accepted_again(s, voucher["id"])
        for _ in range(2):  # sent again (a lost answer), alone and beside the first
            again = offline.redeem_offline(s, provider_id=world.provider_id,
                                           items=[second, first])
            s.commit()
            assert [i["outcome"] for i in again["items"]] == [
                "already_redeemed_by_you", "recorded"]
        assert _accepted_again(s, voucher["id"]) == [event]
        assert len(offline.duplicates(s, world.provider_id)["items"]) == 1
        assert ledger.audit(s)["balanced"]
    assert event["producer"] == "wallet" and event["company_id"] == world.company_id
    assert event["payload"] == {
        "voucher_id": voucher["id"], "provider_id": world.provider_id,
        "code": voucher["code"], "title": voucher["title"], "category": "education",
        "amount_cents": 2_000, "first_accepted_at": at.isoformat(), "first_offline": True,
        "accepted_at": (at + timedelta(minutes=20)).isoformat(),
        "received_at": event["payload"]["received_at"]}
    assert "employee_id" not in event["payload"]  # the provider's word names nobody
