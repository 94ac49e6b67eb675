"""What operators see, on real PostgreSQL: the bank transfers waiting, the
settlement preview (exactly what a run then pays, written nowhere), past runs
with their payouts, and a SEPA file that validates against pain.001.001.03."""

from __future__ import annotations

import os
import uuid
from datetime import UTC, datetime

import pytest
import sepaxml
import xmlschema
from sqlalchemy import func, select, update
from wallet import funding, operations, settlement, vouchers
from wallet.models import LedgerTransaction, Provider
from wallet.schemas import RunsQuery, TopupQuery
from wecare_common.errors import NotFound

PAIN_001_001_03 = os.path.join(os.path.dirname(sepaxml.__file__), "schemas",
                               "pain.001.001.03.xsd")


def _redeemed(world, employee: str, count: int) -> list[dict]:
    bought = [world.purchase(employee, "education")[1] for _ in range(count)]
    with world.factory() as s:
        for voucher in bought:
            vouchers.redeem(s, provider_id=world.provider_id, code=voucher["code"])
        s.commit()
    return bought


def _line(preview: dict, provider_id: str) -> dict | None:
    return next((i for i in preview["items"] if i["provider_id"] == provider_id), None)


def test_pending_bank_transfers_oldest_first_and_gone_once_confirmed(make_world) -> None:
    world = make_world(fund_cents=1)
    with world.factory() as s:
        made = [funding.request_topup(s, company_id=world.company_id, amount_cents=10_000 + n,
                                      method="bank_transfer", idempotency_key=str(uuid.uuid4()))
                for n in range(3)]
        s.commit()

        def waiting(limit: int = 2) -> list[dict]:
            items, cursor = [], None
            while True:
                page = operations.topups(s, status="pending", method="bank_transfer",
                                         limit=limit, cursor=cursor)
                items += page["items"]
                cursor = page["next_cursor"]
                if cursor is None:
                    return [t for t in items if t["company_id"] == world.company_id]

        listed = waiting()
        assert [t["id"] for t in listed] == [t["id"] for t in made]  # across pages
        assert listed[0]["bank_reference"].startswith("WC-")
        assert listed[0]["amount_cents"] == 10_000
        funding.confirm_topup(s, made[0]["id"])
        s.commit()
        assert [t["id"] for t in waiting(limit=50)] == [t["id"] for t in made[1:]]


def test_the_preview_is_what_the_run_pays_and_writes_nothing(make_world) -> None:
    world = make_world(fund_cents=10_000, price_cents=1_999)  # the provider takes 2.5%
    (employee,) = world.employees
    world.grant(employee, 10_000)
    _redeemed(world, employee, 3)
    world.purchase(employee, "education")  # bought, not redeemed: not owed yet

    with world.factory() as s:
        before = s.scalar(select(func.count()).select_from(LedgerTransaction))
        preview = operations.settlement_preview(s, stripe_configured=False)
        assert s.scalar(select(func.count()).select_from(LedgerTransaction)) == before
        assert not s.new and not s.dirty
    line = _line(preview, world.provider_id)
    assert line == {"provider_id": world.provider_id, "provider_name": "Asilo",
                    "vouchers": 3, "gross_cents": 3 * 1_999,
                    "commission_cents": 3 * 49,  # 2.5% of 19.99, rounded down, each
                    "net_cents": 3 * 1_950, "method": "sepa", "payable": True}
    assert preview["total_net_cents"] >= line["net_cents"]

    with world.factory() as s:
        run = settlement.run(s, idempotency_key=f"test:{uuid.uuid4()}", stripe_transfer=None)
        s.commit()
    payout = next(p for p in run["payouts"] if p["provider_id"] == world.provider_id)
    assert payout["amount_cents"] == line["net_cents"]
    assert payout["commission_cents"] == line["commission_cents"]
    with world.factory() as s:
        assert _line(operations.settlement_preview(s, stripe_configured=False),
                     world.provider_id) is None  # paid: nothing more owed


def test_a_provider_with_nowhere_to_pay_waits(make_world) -> None:
    world = make_world(fund_cents=5_000, price_cents=1_000)
    (employee,) = world.employees
    world.grant(employee, 5_000)
    _redeemed(world, employee, 1)
    with world.factory() as s:
        s.execute(update(Provider).where(Provider.id == world.provider_id).values(iban=None))
        s.commit()
        line = _line(operations.settlement_preview(s, stripe_configured=False),
                     world.provider_id)
        assert line is not None and line["payable"] is False and line["method"] is None
        assert line["net_cents"] == 1_000 - 25
        s.execute(update(Provider).where(Provider.id == world.provider_id).values(
            stripe_account_id="acct_test123456"))
        s.commit()
        assert _line(operations.settlement_preview(s, stripe_configured=True),
                     world.provider_id)["method"] == "stripe"
        # back as it was: a later run in this database pays it by SEPA
        s.execute(update(Provider).where(Provider.id == world.provider_id).values(
            iban="IT60X0542811101000000123456", stripe_account_id=None))
        s.commit()


def test_runs_list_their_payouts_and_the_sepa_file_validates(make_world) -> None:
    world = make_world(fund_cents=10_000, price_cents=2_500)
    (employee,) = world.employees
    world.grant(employee, 10_000)
    _redeemed(world, employee, 2)
    with world.factory() as s:
        run = settlement.run(s, idempotency_key=f"test:{uuid.uuid4()}", stripe_transfer=None)
        s.commit()
        empty = settlement.run(s, idempotency_key=f"test:{uuid.uuid4()}",
                               stripe_transfer=None)  # nothing owed any more
        s.commit()

        listed = operations.runs(s, limit=200, cursor=None)["items"]
        ours = next(r for r in listed if r["id"] == run["id"])
        assert ours["payouts"] == len(run["payouts"]) and ours["has_sepa"] is True
        assert ours["total_cents"] == run["total_cents"]
        nothing = next(r for r in listed if r["id"] == empty["id"])
        assert nothing == {**nothing, "payouts": 0, "total_cents": 0, "has_sepa": False}
        assert [r["id"] for r in listed].index(empty["id"]) < [
            r["id"] for r in listed].index(run["id"])  # newest first
        first = operations.runs(s, limit=1, cursor=None)
        second = operations.runs(s, limit=1, cursor=first["next_cursor"])
        assert first["items"][0]["id"] != second["items"][0]["id"]

        detail = operations.run_detail(s, run["id"])
        payout = next(p for p in detail["payouts"] if p["provider_id"] == world.provider_id)
        assert payout["provider_name"] == "Asilo" and payout["amount_cents"] == 2 * 2_438
        assert detail["has_sepa"] is True and "sepa_xml" not in detail
        assert datetime.fromisoformat(detail["created_at"]).tzinfo == UTC

        xml = operations.sepa_xml(s, run["id"])
        xmlschema.XMLSchema(PAIN_001_001_03).validate(xml)
        assert payout["reference"] in xml and "IT60X0542811101000000123456" in xml
        with pytest.raises(NotFound):
            operations.sepa_xml(s, empty["id"])
        with pytest.raises(NotFound):
            operations.run_detail(s, str(uuid.uuid4()))


def test_queries_refuse_what_they_do_not_know() -> None:
    from marshmallow import ValidationError

    assert TopupQuery().load({})["status"] == "pending"
    assert RunsQuery().load({"cursor": "1712345678000000.0b3f9a5e-6f43"})["limit"] == 20
    for bad in ({"status": "lost"}, {"method": "cash"}, {"cursor": "x; drop"}):
        with pytest.raises(ValidationError):
            TopupQuery().load(bad)
