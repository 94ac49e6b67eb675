"""A suspended provider stops (docs/domain.md#providers), on real PostgreSQL: it redeems
nothing from its suspension on, each try refused with the reason and recorded for the
operators; what it redeemed before is still paid by the next settlement run, and the
ledger balances. The catalog's word decides (the wallet's copy may lag behind a
suspension); without it, the copy."""

from __future__ import annotations

import uuid
from datetime import UTC, datetime

import pytest
from wallet import copies, ledger, operations, settlement, vouchers
from wallet.commission import commission_of
from wallet.models import RedemptionRefusal
from wecare_common.errors import Forbidden
from wecare_common.rpc import ServiceUnavailable


def _suspend(world) -> None:  # the copy hears `provider.suspended`
    with world.factory() as s:
        copies.keep_provider(s, {"id": world.provider_id, "name": "Asilo",
                                 "status": "suspended", "commission_bps": 250,
                                 "iban": "IT60X0542811101000000123456"},
                             as_of=datetime.now(UTC))
        s.commit()


def _redeem(world, code: str, status: str | None) -> dict:
    with world.factory() as s:
        try:
            return vouchers.redeem(s, provider_id=world.provider_id, code=code,
                                   provider_status=status)
        finally:
            s.commit()  # as the service does: a refusal's record is kept


def test_a_suspended_provider_redeems_nothing_and_is_still_paid_what_it_redeemed(
        make_world) -> None:
    world = make_world(fund_cents=5_000, price_cents=1_000)
    employee = world.employees[0]
    world.grant(employee, 3_000)
    before, after, lagging = (world.purchase(employee, "education")[1] for _ in range(3))
    assert _redeem(world, before["code"], "approved")["status"] == "redeemed"

    _suspend(world)
    with pytest.raises(Forbidden) as refused:
        _redeem(world, after["code"], "suspended")
    assert (refused.value.code, refused.value.params) == ("provider_not_in_circuit",
                                                          {"provider_status": "suspended"})
    assert list(refused.value.problems) == ["code"]
    with pytest.raises(Forbidden):  # the catalog out of reach: the copy says suspended
        _redeem(world, after["code"], None)

    with world.factory() as s:
        standing = operations.provider_standing(s, [world.provider_id])[world.provider_id]
        refusals = s.query(RedemptionRefusal).filter_by(provider_id=world.provider_id).all()
        assert {r.voucher_id for r in refusals} == {after["id"]}
        assert standing["refused_redemptions"] == 2 and standing["last_refused_at"]
        owed = 1_000 - commission_of(1_000, 250)
        assert standing["owed_cents"] == owed
        run = settlement.run(s, idempotency_key=str(uuid.uuid4()), stripe_transfer=None)
        s.commit()
        paid = [p for p in run["payouts"] if p["provider_id"] == world.provider_id]
        assert [p["amount_cents"] for p in paid] == [owed]
        assert operations.provider_standing(s, [world.provider_id])[
            world.provider_id]["owed_cents"] == 0
        states = {v["id"]: v["status"] for v in vouchers.list_for_employee(
            s, employee, limit=10, cursor=None)["items"]}
        assert states == {before["id"]: "redeemed", after["id"]: "issued",
                          lagging["id"]: "issued"}
        assert ledger.audit(s)["balanced"]


def test_the_catalog_s_word_beats_a_copy_that_has_not_heard_of_the_suspension(
        make_world) -> None:
    world = make_world(fund_cents=2_000, price_cents=1_000)
    world.grant(world.employees[0], 1_000)
    voucher = world.purchase(world.employees[0], "education")[1]
    with pytest.raises(Forbidden):  # the copy still says approved
        _redeem(world, voucher["code"], "suspended")
    assert _redeem(world, voucher["code"], "approved")["status"] == "redeemed"  # back in


def test_without_the_catalog_and_without_a_copy_nothing_is_redeemed(make_world) -> None:
    world = make_world(fund_cents=1)
    with world.factory() as s, pytest.raises(ServiceUnavailable):
        vouchers.redeem(s, provider_id=str(uuid.uuid4()), code="0000-0000-0000-0000-0",
                        provider_status=None)


class Catalog:
    def __init__(self, answer: object) -> None:
        self.answer = answer

    def get_provider(self, provider_id: str) -> dict:
        if isinstance(self.answer, Exception):
            raise self.answer
        return {"id": provider_id, "status": self.answer}


def test_the_catalog_is_asked_for_the_status_now() -> None:
    from wecare_common.errors import NotFound

    assert vouchers.circuit_status(Catalog("suspended"), "p") == "suspended"
    assert vouchers.circuit_status(Catalog(ServiceUnavailable("down")), "p") is None
    assert vouchers.circuit_status(Catalog(NotFound("no such provider")), "p") == "unknown"
