"""A provider's statement, on real PostgreSQL: each redeemed voucher with the
commission on it, newest first and paged; the day's count and sums from the
moment the client says its day began; payouts as before."""

from __future__ import annotations

import importlib.util
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path

from wallet import settlement, vouchers


def _world_maker():
    """This folder's conftest, by its path (every service has a `tests` package)."""
    spec = importlib.util.spec_from_file_location("wallet_tests_world",
                                                  Path(__file__).with_name("conftest.py"))
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


def _redeem(world, code: str, when: datetime) -> None:
    with world.factory() as s:
        vouchers.redeem(s, provider_id=world.provider_id, code=code, now=when)
        s.commit()


def test_redemptions_carry_their_commission_newest_first_and_page(make_world) -> None:
    world = make_world(fund_cents=10_000, price_cents=1_999)  # the provider takes 2.5%
    (employee,) = world.employees
    world.grant(employee, 10_000)
    bought = [world.purchase(employee, "education")[1] for _ in range(3)]
    unredeemed = world.purchase(employee, "education")[1]
    now = datetime.now(UTC)
    yesterday = now - timedelta(days=1)
    _redeem(world, bought[0]["code"], yesterday)
    _redeem(world, bought[1]["code"], now - timedelta(minutes=5))
    _redeem(world, bought[2]["code"], now - timedelta(minutes=1))

    with world.factory() as s:
        first = settlement.provider_statement(s, world.provider_id, limit=2, cursor=None,
                                              since=now - timedelta(hours=1))
        assert [r["voucher_id"] for r in first["redemptions"]] == [
            bought[2]["id"], bought[1]["id"]]
        line = first["redemptions"][0]
        assert line["amount_cents"] == 1_999 and line["commission_bps"] == 250
        assert line["commission_cents"] == 49  # 1_999 * 2.5%, rounded down
        assert line["net_cents"] == 1_950 and line["settled_at"] is None
        assert line["code"] == bought[2]["code"] and line["title"] == "education"
        assert datetime.fromisoformat(line["redeemed_at"]).tzinfo is not None
        assert first["redeemed_since"] == {
            "since": (now - timedelta(hours=1)).isoformat(), "count": 2,
            "amount_cents": 3_998, "commission_cents": 98, "net_cents": 3_900}
        assert first["payable_cents"] == 3 * 1_950 and first["unsettled_vouchers"] == 3

        rest = settlement.provider_statement(
            s, world.provider_id, limit=2, cursor=None,
            redemptions_cursor=first["redemptions_next_cursor"])
        assert [r["voucher_id"] for r in rest["redemptions"]] == [bought[0]["id"]]
        assert rest["redemptions_next_cursor"] is None and rest["redeemed_since"] is None
        assert unredeemed["id"] not in {r["voucher_id"] for r in
                                        first["redemptions"] + rest["redemptions"]}


def test_a_payout_marks_its_redemptions_settled(make_world) -> None:
    world = make_world(fund_cents=5_000, price_cents=1_000)
    (employee,) = world.employees
    world.grant(employee, 5_000)
    _, voucher = world.purchase(employee, "education")
    _redeem(world, voucher["code"], datetime.now(UTC))
    with world.factory() as s:
        settlement.run(s, idempotency_key=f"run-{world.provider_id}", stripe_transfer=None)
        s.commit()
    with world.factory() as s:
        statement = settlement.provider_statement(s, world.provider_id, limit=10, cursor=None)
        (line,) = statement["redemptions"]
        assert line["settled_at"] is not None and line["commission_cents"] == 25
        (payout,) = statement["payouts"]
        assert payout["amount_cents"] == 975 and payout["commission_cents"] == 25
        assert statement["payable_cents"] == 0


def test_on_sqlite_as_make_run_has_it_redeem_and_the_statement_work(tmp_path) -> None:
    """SQLite reads timestamps back without their offset: redeeming (the expiry check)
    and the statement (its cursor and times) still compare and show them in UTC."""
    from wallet.models import Base
    from wecare_common.db import make_engine
    from wecare_common.errors import Conflict

    engine = make_engine("wallet", f"sqlite:///{tmp_path / 'wallet.db'}")
    Base.metadata.create_all(engine)
    try:
        world = _world_maker().new_world(engine, fund_cents=5_000, price_cents=1_000)
        (employee,) = world.employees
        world.grant(employee, 5_000)
        first, second = (world.purchase(employee, "education")[1] for _ in range(2))
        _redeem(world, first["code"], datetime.now(UTC) - timedelta(minutes=2))
        _redeem(world, second["code"], datetime.now(UTC))
        with world.factory() as s:
            try:
                vouchers.redeem(s, provider_id=world.provider_id, code=first["code"])
            except Conflict as exc:
                when = exc.params["redeemed_at"]
                assert datetime.fromisoformat(when).tzinfo is not None
            else:
                raise AssertionError("redeemed twice")
            page = settlement.provider_statement(s, world.provider_id, limit=1, cursor=None)
            assert [r["voucher_id"] for r in page["redemptions"]] == [second["id"]]
            rest = settlement.provider_statement(
                s, world.provider_id, limit=1, cursor=None,
                redemptions_cursor=page["redemptions_next_cursor"])
            assert [r["voucher_id"] for r in rest["redemptions"]] == [first["id"]]
    finally:
        engine.dispose()
