"""A purchase of an offering published a moment ago succeeds: the wallet's copy of
the catalogue follows events and may lag; on a miss the wallet asks the catalog,
outside any transaction, instead of answering "no such offering"."""

from __future__ import annotations

import uuid
from typing import Any

import pytest
from sqlalchemy import update
from wallet import vouchers
from wallet.models import Offering, Provider
from wecare_common.errors import NotFound, RuleViolation


def _catalog(world, session_box: list, *, offering: dict, provider: dict):
    asked: list[str] = []

    def ask(offering_id: str) -> dict[str, Any]:
        # the call to the outside world runs with no transaction open
        assert not session_box[0].in_transaction()
        asked.append(offering_id)
        if offering_id != offering["id"]:
            raise NotFound("no such offering", {"offering_id": ["unknown"]})
        return {"offering": offering, "provider": provider}
    return ask, asked


def _buy(world, employee: str, offering_id: str, ask=None, box=None):
    with world.factory() as s:
        if box is not None:
            box.append(s)
        voucher = vouchers.purchase(s, employee_id=employee, offering_id=offering_id,
                                    plan_id=None, idempotency_key=str(uuid.uuid4()),
                                    fringe_limit=lambda *_: 0, ask_catalog=ask)
        s.commit()
        return voucher


def _new_offering(world, **extra: Any) -> dict[str, Any]:
    return {"id": str(uuid.uuid4()), "provider_id": world.provider_id, "title": "Campo estivo",
            "category": "education", "price_cents": 4_500, "status": "active", **extra}


def _provider(world, **extra: Any) -> dict[str, Any]:
    return {"id": world.provider_id, "name": "Asilo", "status": "approved",
            "commission_bps": 250, **extra}


def test_an_offering_the_wallet_has_not_heard_of_yet_is_bought(make_world) -> None:
    world = make_world(fund_cents=50_000)
    employee = world.employees[0]
    world.grant(employee, 10_000)
    fresh = _new_offering(world)
    with pytest.raises(NotFound):  # without asking: the lagging copy's "unknown"
        _buy(world, employee, fresh["id"])
    box: list = []
    ask, asked = _catalog(world, box, offering=fresh, provider=_provider(world))
    voucher = _buy(world, employee, fresh["id"], ask, box)
    assert asked == [fresh["id"]]
    assert (voucher["offering_id"], voucher["amount_cents"], voucher["title"]) == (
        fresh["id"], 4_500, "Campo estivo")
    # the copy itself still follows the events only
    with world.factory() as s:
        assert s.get(Offering, fresh["id"]) is None


def test_a_provider_approved_a_moment_ago_sells(make_world) -> None:
    world = make_world(fund_cents=50_000)
    employee = world.employees[0]
    world.grant(employee, 10_000)
    with world.factory() as s:  # the wallet still has the provider as it was: suspended
        s.execute(update(Provider).where(Provider.id == world.provider_id)
                  .values(status="suspended"))
        s.commit()
    box: list = []
    offering = _new_offering(world, id=world.offerings["education"], price_cents=1_000)
    ask, asked = _catalog(world, box, offering=offering, provider=_provider(world))
    assert _buy(world, employee, offering["id"], ask, box)["status"] == "issued"
    assert asked == [offering["id"]]


def test_the_catalog_has_the_last_word_on_a_miss(make_world) -> None:
    world = make_world(fund_cents=50_000)
    employee = world.employees[0]
    world.grant(employee, 10_000)
    withdrawn = _new_offering(world, status="withdrawn")
    box: list = []
    ask, _ = _catalog(world, box, offering=withdrawn, provider=_provider(world))
    with pytest.raises(NotFound, match="no such offering"):
        _buy(world, employee, withdrawn["id"], ask, box)
    with pytest.raises(NotFound, match="no such offering"):  # the catalog does not know it
        _buy(world, employee, str(uuid.uuid4()), ask, box)
    fresh = _new_offering(world)
    ask, _ = _catalog(world, box, offering=fresh, provider=_provider(world, status="suspended"))
    with pytest.raises(RuleViolation, match="not in the circuit"):
        _buy(world, employee, fresh["id"], ask, box)


def test_a_known_offering_asks_nobody(make_world) -> None:
    world = make_world(fund_cents=50_000)
    employee = world.employees[0]
    world.grant(employee, 10_000)

    def ask(offering_id: str) -> dict[str, Any]:
        raise AssertionError("the copy knew it: the hot path makes no call")
    assert _buy(world, employee, world.offerings["education"], ask)["status"] == "issued"
