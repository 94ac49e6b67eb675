"""A network's agreed prices at purchase, on real PostgreSQL
(docs/domain.md#agreements-and-prices): the employee of a member firm pays the agreed
price (a price, or the discount rounded half up), exact in cents, from their own
firm's plan; outside the network, after leaving, once the agreement ended or outside
its dates, the offering's own price."""

from __future__ import annotations

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from wallet import copies, ledger, vouchers
from wallet.models import Voucher
from wecare_common.errors import RuleViolation

NOW = datetime.now(UTC)
TODAY = date.today()


def _limit(employee_id: str, year: int) -> int:
    return 100_000


def join(world, network_id: str, at: datetime = NOW, joined: bool = True) -> None:
    with world.factory() as s:
        copies.keep_network_member(s, {"company_id": world.company_id,
                                       "network_id": network_id}, joined=joined, as_of=at)
        s.commit()


def agree(world, network_id: str, at: datetime = NOW, active: bool = True,
          agreement_id: str | None = None, **terms) -> str:
    agreement_id = agreement_id or str(uuid.uuid4())
    with world.factory() as s:
        copies.keep_agreement(s, {"id": agreement_id, "network_id": network_id,
                                  "offering_id": world.offerings["education"],
                                  **terms}, active=active, as_of=at)
        s.commit()
    return agreement_id


def buy(world, employee: str) -> dict:
    status, voucher = world.purchase(employee, "education")
    assert status == "ok", voucher
    return voucher


def test_a_member_s_employee_pays_the_agreed_price_from_their_own_plan(make_world) -> None:
    world = make_world(fund_cents=50_000, price_cents=10_000)
    network = str(uuid.uuid4())
    join(world, network)
    agreement = agree(world, network, price_cents=8_000)
    (anna,) = world.employees
    world.grant(anna, 20_000)
    voucher = buy(world, anna)
    assert voucher["amount_cents"] == 8_000
    assert (voucher["list_price_cents"], voucher["agreement_id"]) == (10_000, agreement)
    with world.factory() as s:
        credit = ledger.balance(s, ledger.credit_account(anna, world.plan["id"]))
        assert credit == 20_000 - 8_000
        assert ledger.balance(s, ledger.voucher_account(voucher["id"])) == 8_000
        assert ledger.audit(s)["balanced"]


def test_a_discount_is_rounded_half_up_in_cents(make_world) -> None:
    world = make_world(fund_cents=50_000, price_cents=1_990)
    network = str(uuid.uuid4())
    join(world, network)
    agree(world, network, discount_bps=2_500)  # 497,5 cents off → 498
    (anna,) = world.employees
    world.grant(anna, 5_000)
    assert buy(world, anna)["amount_cents"] == 1_492


def test_outside_the_network_the_offering_s_own_price(make_world) -> None:
    member, outsider = (make_world(fund_cents=50_000, price_cents=10_000) for _ in range(2))
    network = str(uuid.uuid4())
    join(member, network)
    # the agreement is on the member world's offering; the outsider buys the same one
    agree(member, network, price_cents=7_000)
    outsider.offerings = member.offerings
    (bruno,) = outsider.employees
    outsider.grant(bruno, 20_000)
    voucher = buy(outsider, bruno)
    assert voucher["amount_cents"] == 10_000 and voucher["agreement_id"] is None


def test_after_leaving_or_once_the_agreement_ended_the_own_price(make_world) -> None:
    world = make_world(fund_cents=50_000, price_cents=10_000)
    network = str(uuid.uuid4())
    join(world, network)
    agreement = agree(world, network, price_cents=6_000)
    (anna,) = world.employees
    world.grant(anna, 40_000)
    assert buy(world, anna)["amount_cents"] == 6_000
    agree(world, network, agreement_id=agreement, active=False, price_cents=6_000,
          at=NOW + timedelta(seconds=1))
    assert buy(world, anna)["amount_cents"] == 10_000
    agree(world, network, price_cents=5_000, at=NOW + timedelta(seconds=2))
    assert buy(world, anna)["amount_cents"] == 5_000
    join(world, network, joined=False, at=NOW + timedelta(seconds=3))
    assert buy(world, anna)["amount_cents"] == 10_000


def test_an_older_event_changes_no_copy(make_world) -> None:
    world = make_world(fund_cents=50_000, price_cents=10_000)
    network = str(uuid.uuid4())
    join(world, network, at=NOW)
    join(world, network, joined=False, at=NOW - timedelta(seconds=5))  # late, older
    agree(world, network, price_cents=9_000)
    (anna,) = world.employees
    world.grant(anna, 20_000)
    assert buy(world, anna)["amount_cents"] == 9_000


def test_an_agreement_outside_its_dates_does_not_apply(make_world) -> None:
    world = make_world(fund_cents=50_000, price_cents=10_000)
    network = str(uuid.uuid4())
    join(world, network)
    agree(world, network, price_cents=4_000,
          valid_from=(TODAY + timedelta(days=1)).isoformat())
    agree(world, network, price_cents=3_000, at=NOW - timedelta(seconds=1),
          valid_until=(TODAY - timedelta(days=1)).isoformat())
    (anna,) = world.employees
    world.grant(anna, 20_000)
    assert buy(world, anna)["amount_cents"] == 10_000


def test_a_retry_with_the_key_is_the_same_voucher_at_the_same_price(make_world) -> None:
    world = make_world(fund_cents=50_000, price_cents=10_000)
    network = str(uuid.uuid4())
    join(world, network)
    agree(world, network, price_cents=8_000)
    (anna,) = world.employees
    world.grant(anna, 20_000)
    first = world.purchase(anna, "education", key="same")[1]
    again = world.purchase(anna, "education", key="same")[1]
    assert first["id"] == again["id"] and again["amount_cents"] == 8_000
    with world.factory() as s:
        assert s.query(Voucher).filter_by(employee_id=anna).count() == 1
        assert ledger.balance(s, ledger.credit_account(anna, world.plan["id"])) == 12_000


def test_credit_covering_only_the_agreed_price_buys(make_world) -> None:
    """Credit short of the list price but covering the agreed one: bought."""
    world = make_world(fund_cents=50_000, price_cents=10_000)
    network = str(uuid.uuid4())
    join(world, network)
    agree(world, network, price_cents=7_500)
    (anna,) = world.employees
    world.grant(anna, 7_500)
    with world.factory() as s:
        voucher = vouchers.purchase(s, employee_id=anna,
                                    offering_id=world.offerings["education"], plan_id=None,
                                    idempotency_key=str(uuid.uuid4()), fringe_limit=_limit)
        s.commit()
    assert voucher["amount_cents"] == 7_500


def test_a_price_other_than_the_one_shown_is_refused_moving_nothing(make_world) -> None:
    """The page showed the agreed price, the wallet has not heard of the agreement yet
    (or it ended meanwhile): refused, the credit untouched; with the price it would
    charge, bought."""
    world = make_world(fund_cents=50_000, price_cents=10_000)
    (anna,) = world.employees
    world.grant(anna, 20_000)
    with world.factory() as s:
        with pytest.raises(RuleViolation) as refused:
            vouchers.purchase(s, employee_id=anna, offering_id=world.offerings["education"],
                              plan_id=None, idempotency_key=str(uuid.uuid4()),
                              fringe_limit=_limit, expected_price_cents=8_000)
        assert refused.value.code == "price_changed"
        assert refused.value.params == {"price_cents": 10_000}
        s.rollback()
        assert ledger.balance(s, ledger.credit_account(anna, world.plan["id"])) == 20_000
        voucher = vouchers.purchase(s, employee_id=anna,
                                    offering_id=world.offerings["education"], plan_id=None,
                                    idempotency_key=str(uuid.uuid4()), fringe_limit=_limit,
                                    expected_price_cents=10_000)
        s.commit()
    assert voucher["amount_cents"] == 10_000
